"""The shared JWKS cache (vcn.jwks): keys are fetched once, refreshed when stale or on an unknown kid."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from vcn.jwks import JwksCache, JwksUnavailable


def public_jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


class Issuer:
    """An in-memory JWKS source that counts fetches; its keys can rotate."""

    def __init__(self, *kids: str) -> None:
        self.keys = [public_jwk(kid) for kid in kids]
        self.fetches = 0
        self.down = False

    async def __call__(self) -> Mapping[str, Any]:
        self.fetches += 1
        await asyncio.sleep(0)  # a fetch is I/O: other lookups run meanwhile
        if self.down:
            raise ValueError("issuer unreachable")
        return {"keys": self.keys}


def test_a_known_kid_is_served_from_the_cache() -> None:
    issuer = Issuer("a", "b")
    cache = JwksCache(issuer)

    async def lookups() -> list[str | None]:
        return [(await cache.key(kid) or jwt.PyJWK({})).key_id for kid in ("a", "b", "a")]

    assert asyncio.run(lookups()) == ["a", "b", "a"]
    assert issuer.fetches == 1


def test_an_unknown_kid_refreshes_once_and_finds_a_rotated_key() -> None:
    issuer = Issuer("a")
    cache = JwksCache(issuer)

    async def scenario() -> None:
        assert await cache.key("a") is not None
        assert await cache.key("missing") is None
        assert issuer.fetches == 2
        issuer.keys.append(public_jwk("rotated"))
        found = await cache.key("rotated")
        assert found is not None and found.key_id == "rotated"
        assert issuer.fetches == 3

    asyncio.run(scenario())


def test_keys_are_fetched_again_after_the_ttl() -> None:
    issuer, now = Issuer("a"), [0.0]
    cache = JwksCache(issuer, ttl_seconds=300, clock=lambda: now[0])

    async def scenario() -> None:
        await cache.key("a")
        now[0] = 299
        await cache.key("a")
        assert issuer.fetches == 1
        now[0] = 301
        await cache.key("a")
        assert issuer.fetches == 2

    asyncio.run(scenario())


def test_a_token_without_kid_is_checked_against_the_first_key() -> None:
    cache = JwksCache(Issuer("first", "second"))
    found = asyncio.run(cache.key(None))
    assert found is not None and found.key_id == "first"


def test_lookups_waiting_on_a_refresh_do_not_start_another() -> None:
    issuer = Issuer("a")
    cache = JwksCache(issuer)

    async def scenario() -> None:
        await asyncio.gather(*(cache.key("new") for _ in range(5)))

    asyncio.run(scenario())
    assert issuer.fetches == 1


def test_an_unreachable_issuer_makes_the_keys_unavailable() -> None:
    issuer = Issuer("a")
    issuer.down = True
    with pytest.raises(JwksUnavailable, match="issuer unreachable"):
        asyncio.run(JwksCache(issuer).key("a"))
