"""Bearer-token verification against an identity provider's JWKS, with PyJWT.

Only RS256 and ES256 signatures are accepted, and the key's own algorithm must match the token's header.
`exp`, `nbf`, `iss` and `aud` are required and checked (with a small leeway for clock skew). The JWKS is
cached by the verifier (keep one verifier per process so the cache outlives an invocation); a token whose
`kid` is unknown triggers one refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

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
        self._jwks = jwt.PyJWKClient(
            jwks_url,
            cache_jwk_set=True,
            lifespan=jwks_cache_seconds,
            timeout=fetch_timeout_seconds,
            cooldown_duration=refresh_cooldown_seconds,
        )

    def verify(self, token: str) -> VerifiedToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejected(f"malformed token: {error}") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise TokenRejected(
                f"algorithm {algorithm!r} is not allowed (only {', '.join(ALLOWED_ALGORITHMS)})"
            )
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("token header has no kid")
        try:
            key = self._jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as error:
            raise TokenRejected(f"JWKS unavailable: {error}") from None
        except jwt.PyJWTError as error:
            raise TokenRejected(f"no signing key for kid {kid!r}: {error}") from None
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(f"{type(error).__name__}: {error}") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRejected("sub claim is empty")
        return VerifiedToken(subject=subject, expires_at=int(claims["exp"]), claims=claims)
