"""An issuer's signing keys (its JWKS): fetched on first use, cached, refreshed when stale or on a new kid.

One `JwksCache` per issuer serves the HTTP API's JWT authorizer and AppSync's OPENID_CONNECT mode. Its source
is injectable: the local cloud hands its own identity provider's keys over without an HTTP round trip.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import jwt
from jwt import PyJWK, PyJWKSet

JwksSource = Callable[[], Awaitable[Mapping[str, Any]]]
DEFAULT_TTL_SECONDS = 300.0


class JwksUnavailable(Exception):
    """The issuer's keys cannot be fetched or read, so no token of it can be checked (callers fail closed)."""


def http_jwks_source(issuer: str, jwks_url: str | None = None, *, timeout_seconds: float = 5.0) -> JwksSource:
    """Fetch the JWKS over HTTP, from `jwks_url` or through `<issuer>/.well-known/openid-configuration`."""

    async def fetch() -> Mapping[str, Any]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_seconds)) as session:
            url = jwks_url
            if url is None:
                discovery = issuer.rstrip("/") + "/.well-known/openid-configuration"
                async with session.get(discovery) as response:
                    response.raise_for_status()
                    url = str((await response.json(content_type=None))["jwks_uri"])
            async with session.get(url) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
        if not isinstance(document, dict):
            raise ValueError(f"JWKS at {url} is not a JSON object")
        return document

    return fetch


class JwksCache:
    """Keys by `kid`, kept `ttl_seconds`; a token naming a key the cache lacks triggers one refresh."""

    def __init__(
        self,
        source: JwksSource,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._clock = clock
        self._keys: PyJWKSet | None = None
        self._expires = 0.0
        self._refreshes = 0
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> PyJWK | None:
        """The key named `kid` (no `kid`: the first key), or None when the issuer has no such key.

        Raises JwksUnavailable when the keys have to be fetched and cannot be.
        """
        if self._keys is not None and self._clock() < self._expires:
            found = _find(self._keys, kid)
            if found is not None:
                return found
        seen = self._refreshes
        async with self._lock:
            if self._refreshes == seen:  # no concurrent caller refreshed while this one waited
                await self._refresh()
        return _find(self._keys, kid) if self._keys is not None else None

    async def _refresh(self) -> None:
        try:
            keys = PyJWKSet.from_dict(dict(await self._source()))
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, jwt.PyJWTError) as exc:
            raise JwksUnavailable(f"cannot read the JWKS: {exc}") from exc
        self._keys = keys
        self._expires = self._clock() + self._ttl
        self._refreshes += 1


def _find(keys: PyJWKSet, kid: str | None) -> PyJWK | None:
    return next((key for key in keys.keys if kid is None or key.key_id == kid), None)
