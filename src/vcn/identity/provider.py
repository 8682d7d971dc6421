"""Issues development tokens shaped like production ones (sub, iss, aud, exp, nbf, iat, markets, plants)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt

from vcn.identity.analysts import find_analyst
from vcn.identity.keys import SigningKey

DEFAULT_AUDIENCE = "vcn-local"
DEFAULT_TTL_SECONDS = 3600
_SEGMENT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$")


class UnknownUser(LookupError):
    """A token was requested by analyst id for a user the provider does not know."""


class DevIdentityProvider:
    """Signs RS256 tokens for the local cloud with the key whose public half is served at the JWKS URL."""

    def __init__(self, key: SigningKey, *, issuer: str, audience: str = DEFAULT_AUDIENCE) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience

    @property
    def jwks(self) -> dict[str, Any]:
        return self.key.jwks

    def issue_token(
        self,
        user: str,
        markets: Sequence[str],
        plants: Sequence[str],
        ttl: int = DEFAULT_TTL_SECONDS,
        issuer: str | None = None,
        audience: str | None = None,
        *,
        name: str | None = None,
    ) -> str:
        """A signed token for `user` granting `markets` and `plants` (`"*"` grants all) for `ttl` seconds."""
        if not _SEGMENT.match(user):
            raise ValueError(
                f"user id {user!r} is not segment-safe: use 1-50 of A-Z a-z 0-9 '-', "
                "not starting or ending with '-'"
            )
        if ttl <= 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl}")
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user,
            "iss": issuer or self.issuer,
            "aud": audience or self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
            "markets": list(markets),
            "plants": list(plants),
        }
        if name:
            claims["name"] = name  # shown by the console; never used for authorization
        return jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})

    def token_for_analyst(self, user: str, ttl: int = DEFAULT_TTL_SECONDS) -> str:
        """A token for one of the demo analysts, with that analyst's markets and plants."""
        analyst = find_analyst(user)
        if analyst is None:
            raise UnknownUser(user)
        return self.issue_token(analyst.id, analyst.markets, analyst.plants, ttl, name=analyst.name)
