"""Issues development tokens shaped like production ones (sub, iss, aud, exp, nbf, iat, jti + any claims)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt

from vcn.identity.keys import SigningKey
from vcn.identity.users import DemoUser

DEFAULT_AUDIENCE = "vcn-local"
DEFAULT_TTL_SECONDS = 3600
# The subject often names a channel (`/users/<sub>`), so it must be a valid AppSync channel segment.
_SEGMENT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$")
_REGISTERED_CLAIMS = frozenset({"sub", "iss", "aud", "iat", "nbf", "exp", "jti"})


class DevIdentityProvider:
    """Signs RS256 tokens for the local cloud with the key whose public half is served at the JWKS URL."""

    def __init__(self, key: SigningKey, *, issuer: str, audience: str = DEFAULT_AUDIENCE) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience

    @property
    def jwks(self) -> dict[str, Any]:
        return self.key.jwks

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def issue_token(
        self,
        user: str,
        claims: Mapping[str, Any] | None = None,
        ttl: int = DEFAULT_TTL_SECONDS,
        issuer: str | None = None,
        audience: str | None = None,
        *,
        name: str | None = None,
    ) -> str:
        """A signed token for `user` carrying `claims` (never the registered ones) for `ttl` seconds."""
        if not _SEGMENT.match(user):
            raise ValueError(
                f"user id {user!r} is not segment-safe: use 1-50 of A-Z a-z 0-9 '-', "
                "not starting or ending with '-'"
            )
        if ttl <= 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl}")
        reserved = sorted(_REGISTERED_CLAIMS & set(claims or {}))
        if reserved:
            raise ValueError(f"claims {', '.join(reserved)} are set by the provider; remove them")
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": user,
            "iss": issuer or self.issuer,
            "aud": audience or self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
            **(claims or {}),
        }
        if name:
            payload["name"] = name  # shown by consoles; never used for authorization
        return jwt.encode(payload, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})

    def token_for(self, user: DemoUser, ttl: int = DEFAULT_TTL_SECONDS) -> str:
        """A token for a demo user, with that user's claims."""
        return self.issue_token(user.id, user.claims, ttl, name=user.name)
