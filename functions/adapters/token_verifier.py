"""Bearer-token verification against an identity provider's JWKS.

Only RS256 and ES256 signatures are accepted, and the key's own algorithm must match the token's header. The
signature is checked first, with the key the token's `kid` names (adapters.jwk, pure Python); then PyJWT
checks the claims: `exp`, `nbf`, `iss`, `aud` and `sub` are required, with a small leeway for clock skew.
The JWKS is cached by the verifier (keep one verifier per process so the cache outlives an invocation); a
token whose `kid` is unknown triggers one refresh.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from adapters.jwk import b64url_decode
from adapters.jwks_cache import JwksCache, JwksUnavailable, KeyNotFound

ALLOWED_ALGORITHMS = ("RS256", "ES256")
REQUIRED_CLAIMS = ("exp", "nbf", "iss", "aud", "sub")


class TokenRejected(Exception):
    """The token is not acceptable; `reason` is safe to log (it never contains the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    expires_at: int
    claims: Mapping[str, Any]


class TokenVerifier(Protocol):
    def verify(self, token: str) -> VerifiedToken: ...


class JwksTokenVerifier:
    """Verifies JWTs signed by a key from `jwks_url`, for one issuer and audience."""

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        jwks_cache_seconds: float = 300,
        refresh_cooldown_seconds: float = 0,
        fetch_timeout_seconds: float = 5,
        leeway_seconds: float = 30,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._jwks = JwksCache(
            jwks_url,
            lifespan_seconds=jwks_cache_seconds,
            refresh_cooldown_seconds=refresh_cooldown_seconds,
            fetch_timeout_seconds=fetch_timeout_seconds,
        )

    def verify(self, token: str) -> VerifiedToken:
        signing_input, signature, header = _split(token)
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise TokenRejected(
                f"algorithm {algorithm!r} is not allowed (only {', '.join(ALLOWED_ALGORITHMS)})"
            )
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("token header has no kid")
        try:
            key = self._jwks.key(kid)
        except JwksUnavailable as error:
            raise TokenRejected(f"JWKS unavailable: {error}") from None
        except KeyNotFound as error:
            raise TokenRejected(f"no signing key for kid {kid!r}: {error}") from None
        if key.algorithm != algorithm:
            raise TokenRejected(f"key {kid!r} verifies {key.algorithm}, the token says {algorithm}")
        if not key.verifies(signing_input, signature):
            raise TokenRejected("signature verification failed")
        claims = self._checked_claims(token)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRejected("sub claim is empty")
        return VerifiedToken(subject=subject, expires_at=int(claims["exp"]), claims=claims)

    def _checked_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token whose signature is verified: PyJWT checks exp, nbf, iss, aud and presence."""
        try:
            return jwt.decode(
                token,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={
                    "verify_signature": False,  # verified above, with the key the JWKS names
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_aud": True,
                    "verify_iss": True,
                    "require": list(REQUIRED_CLAIMS),
                },
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(f"{type(error).__name__}: {error}") from None


def _split(token: str) -> tuple[bytes, bytes, dict[str, Any]]:
    """The signing input, the signature and the header of a compact JWS; raises TokenRejected if malformed."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("malformed token: not three dot-separated parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        signature = b64url_decode(parts[2])
    except (ValueError, RecursionError):
        raise TokenRejected("malformed token: header or signature is not base64url JSON") from None
    if not isinstance(header, dict):
        raise TokenRejected("malformed token: the header is not a JSON object")
    return f"{parts[0]}.{parts[1]}".encode("ascii", "replace"), signature, header
