"""The HTTP API JWT authorizer: validates a bearer token the way API Gateway does and renders its claims.

API Gateway fetches the issuer's JWKS, accepts RSA signatures only, checks `exp`, `nbf`, `iss` and that
`aud` (or `client_id`) is one of the configured audiences, and puts the claims in
`requestContext.authorizer.jwt.claims` with every value turned into a string; array claims become `"[a b]"`
(space-separated in brackets), as recorded from HTTP APIs with Cognito groups. How objects are rendered is
UNCONFIRMED; they become `map[k:v]` the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from vcn.httpapi.config import JwtAuthorizerConfig
from vcn.jwks import JwksCache, JwksSource, http_jwks_source

_RSA_ALGORITHMS = ["RS256", "RS384", "RS512"]


@dataclass(frozen=True)
class JwtClaims:
    claims: dict[str, str]
    scopes: list[str] | None = field(default=None)


class Unauthorized(Exception):
    """No token, or a token API Gateway would reject (the reason is only logged, as in AWS)."""


def render_claim(value: Any) -> str:
    """Render a claim value as API Gateway does for HTTP APIs: `["DE","FR"]` -> `"[DE FR]"`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(render_claim(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{render_claim(item)}" for key, item in value.items()) + "]"
    if value is None:
        return ""
    return str(value)


def parse_claim_list(rendered: str) -> list[str]:
    """The inverse of `render_claim` for lists of words (what handlers do with `"[DE FR]"`)."""
    text = rendered.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [word for word in text.replace(",", " ").split() if word]


class JwtAuthorizer:
    """Validates bearer tokens for one authorizer against the issuer's keys (a `JwksCache`)."""

    def __init__(self, config: JwtAuthorizerConfig, jwks_source: JwksSource | None = None) -> None:
        self.config = config
        self._keys = JwksCache(jwks_source or http_jwks_source(config.issuer, config.jwks_url))

    def _header_name(self) -> str:
        prefix = "$request.header."
        source = self.config.identity_source
        return source[len(prefix) :].lower() if source.startswith(prefix) else "authorization"

    async def authorize(self, headers: Mapping[str, str]) -> JwtClaims:
        """Return the rendered claims of a valid token, or raise Unauthorized."""
        raw = headers.get(self._header_name())
        if not raw:
            raise Unauthorized("no token in " + self.config.identity_source)
        token = raw[7:].strip() if raw[:7].lower() == "bearer " else raw.strip()
        if not token.isascii():  # header bytes that are not ASCII cannot be a JWT
            raise Unauthorized("the token holds characters that are not ASCII")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"malformed token: {exc}") from exc
        if header.get("alg") not in _RSA_ALGORITHMS:
            raise Unauthorized(f"algorithm {header.get('alg')!r} is not supported; HTTP APIs accept RSA only")
        kid = header.get("kid")
        key = await self._keys.key(str(kid) if kid is not None else None)
        if key is None:
            raise Unauthorized(f"no key with kid {kid!r} in the JWKS of {self.config.issuer}")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=_RSA_ALGORITHMS,
                issuer=self.config.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(str(exc)) from exc
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if self.config.audiences and not set(map(str, audiences)) & set(self.config.audiences):
            raise Unauthorized(f"audience {audience!r} is not one of {list(self.config.audiences)}")
        scope = claims.get("scope", claims.get("scp"))
        scopes = scope.split() if isinstance(scope, str) else scope if isinstance(scope, list) else None
        rendered = {name: render_claim(value) for name, value in claims.items()}
        return JwtClaims(rendered, [str(item) for item in scopes] if scopes is not None else None)
