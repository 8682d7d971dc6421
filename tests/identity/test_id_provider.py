"""The development identity provider: its key on disk, its JWKS, its tokens and its HTTP routes."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest

from vcn.aws_account import LOCAL_ACCOUNT
from vcn.httpapi import ApiServer
from vcn.identity import DEMO_ANALYSTS, DevIdentityProvider, load_or_create_signing_key
from vcn.identity.routes import identity_routes
from vcn.invoker import CallableInvoker

ISSUER = "http://127.0.0.1:4999"


def test_signing_key_is_created_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path)
    path = tmp_path / "identity" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_or_create_signing_key(tmp_path)
    assert second.kid == first.kid
    assert second.public_jwk == first.public_jwk


def test_token_verifies_against_the_jwks_and_carries_the_grants(tmp_path: Path) -> None:
    provider = DevIdentityProvider(load_or_create_signing_key(tmp_path), issuer=ISSUER)
    token = provider.issue_token("analyst-de", ["DE"], ["ZWI"], ttl=120)
    assert jwt.get_unverified_header(token)["kid"] == provider.key.kid
    key = jwt.PyJWKSet.from_dict(provider.jwks)[provider.key.kid]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="vcn-local", issuer=ISSUER)
    assert claims["sub"] == "analyst-de"
    assert claims["markets"] == ["DE"] and claims["plants"] == ["ZWI"]
    assert claims["exp"] - claims["iat"] == 120
    assert claims["nbf"] <= time.time()


def test_user_ids_must_be_channel_segments(tmp_path: Path) -> None:
    provider = DevIdentityProvider(load_or_create_signing_key(tmp_path), issuer=ISSUER)
    with pytest.raises(ValueError, match="segment-safe"):
        provider.issue_token("bob smith", ["DE"], [])
    with pytest.raises(ValueError, match="segment-safe"):
        provider.issue_token("-bob", ["DE"], [])


def test_demo_analysts_are_segment_safe_and_cover_markets_and_plants() -> None:
    ids = {analyst.id for analyst in DEMO_ANALYSTS}
    assert {"analyst-de", "analyst-fr", "analyst-us", "supply-lead", "admin"} <= ids
    markets = {market for analyst in DEMO_ANALYSTS for market in analyst.markets}
    assert {"DE", "FR", "US", "*"} <= markets
    catalog = json.loads(Path("functions/vehicle_config/catalog.json").read_text())
    for analyst in DEMO_ANALYSTS:
        assert set(analyst.markets) - {"*"} <= set(catalog["markets"])
        assert set(analyst.plants) - {"*"} <= set(catalog["plants"])


async def _with_server(tmp_path: Path, web_root: Path | None, scenario: Any) -> Any:
    provider = DevIdentityProvider(load_or_create_signing_key(tmp_path), issuer=ISSUER)
    config = {
        "region": "us-east-1",
        "appsync": {"http": "h", "realtime": "r"},
        "api": ISSUER,
        "identity": "local",
    }
    server = ApiServer(
        [],
        CallableInvoker({}),
        account_id=LOCAL_ACCOUNT.account_id,
        extra_routes=identity_routes(provider, lambda: config),
        web_root=web_root,
    )
    await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession(base_url=server.url) as session:
            return await scenario(session, provider)
    finally:
        await server.stop()


def test_routes_serve_jwks_analysts_tokens_and_console_config(tmp_path: Path) -> None:
    async def scenario(session: aiohttp.ClientSession, provider: DevIdentityProvider) -> None:
        async with session.get("/.well-known/jwks.json") as response:
            assert response.status == 200
            assert (await response.json())["keys"][0]["kid"] == provider.key.kid
        async with session.get("/dev/analysts") as response:
            analysts = await response.json()
            assert {
                "id": "analyst-de",
                "name": analysts[0]["name"],
                "markets": ["DE"],
                "plants": ["ZWI"],
            } in analysts
        async with session.post("/dev/token", json={"user": "analyst-fr"}) as response:
            assert response.status == 200
            token = (await response.json())["token"]
            claims = jwt.decode(token, options={"verify_signature": False})
            assert (claims["sub"], claims["markets"], claims["iss"]) == ("analyst-fr", ["FR"], ISSUER)
            assert claims["name"] == "Demand analyst France"
        async with session.post("/dev/token", json={"user": "mallory"}) as response:
            assert response.status == 404
            assert "known analysts: analyst-de" in (await response.json())["message"]
        async with session.post("/dev/token", data="not json") as response:
            assert response.status == 400
        async with session.get("/config.json") as response:
            assert (await response.json())["identity"] == "local"

    asyncio.run(_with_server(tmp_path, None, scenario))


def test_console_files_are_served_and_a_plain_page_stands_in(tmp_path: Path) -> None:
    web_root = tmp_path / "web"

    async def placeholder(session: aiohttp.ClientSession, _: DevIdentityProvider) -> None:
        async with session.get("/") as response:
            assert response.status == 200
            assert "Local cloud is running" in await response.text()
        async with session.get("/app.js") as response:
            assert response.status == 404
            assert await response.json() == {"message": "Not Found"}

    asyncio.run(_with_server(tmp_path, web_root, placeholder))
    web_root.mkdir()
    (web_root / "index.html").write_text("<h1>console</h1>")
    (web_root / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("no")

    async def console(session: aiohttp.ClientSession, _: DevIdentityProvider) -> None:
        async with session.get("/") as response:
            assert await response.text() == "<h1>console</h1>"
        async with session.get("/app.js") as response:
            assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
        async with session.get("/%2e%2e/secret.txt") as response:
            assert response.status == 404

    asyncio.run(_with_server(tmp_path, web_root, console))
