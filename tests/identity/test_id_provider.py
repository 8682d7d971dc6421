"""The development identity provider: its key on disk, its JWKS, its tokens and its HTTP routes."""

from __future__ import annotations

import asyncio
import stat
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest

from tests.support.invokers import CallableInvoker
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.httpapi import ApiServer
from vcn.identity import DemoUser, DevIdentityProvider, load_or_create_signing_key
from vcn.identity.routes import identity_routes

ISSUER = "http://127.0.0.1:4999"
USERS = (
    DemoUser("reader-eu", "Reader, Europe", {"regions": ["eu"]}),
    DemoUser("ops", "Operations", {"regions": ["*"], "roles": ["ops"]}),
)


def test_signing_key_is_created_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path)
    path = tmp_path / "identity" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_or_create_signing_key(tmp_path)
    assert second.kid == first.kid
    assert second.public_jwk == first.public_jwk


def test_token_verifies_against_the_jwks_and_carries_the_claims(tmp_path: Path) -> None:
    provider = DevIdentityProvider(load_or_create_signing_key(tmp_path), issuer=ISSUER)
    token = provider.issue_token("analyst-de", {"markets": ["DE"], "plants": ["ZWI"]}, ttl=120)
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
        provider.issue_token("bob smith")
    with pytest.raises(ValueError, match="segment-safe"):
        provider.issue_token("-bob")


def test_registered_claims_cannot_be_overridden(tmp_path: Path) -> None:
    provider = DevIdentityProvider(load_or_create_signing_key(tmp_path), issuer=ISSUER)
    with pytest.raises(ValueError, match="exp, iss are set by the provider"):
        provider.issue_token("bob", {"iss": "https://elsewhere", "exp": 1})


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
        extra_routes=identity_routes(provider, USERS, lambda: config),
        web_root=web_root,
    )
    await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession(base_url=server.url) as session:
            return await scenario(session, provider)
    finally:
        await server.stop()


def test_routes_serve_jwks_demo_users_tokens_and_browser_config(tmp_path: Path) -> None:
    async def scenario(session: aiohttp.ClientSession, provider: DevIdentityProvider) -> None:
        async with session.get("/.well-known/jwks.json") as response:
            assert response.status == 200
            assert (await response.json())["keys"][0]["kid"] == provider.key.kid
        async with session.get("/dev/users") as response:
            assert await response.json() == [
                {"id": "reader-eu", "name": "Reader, Europe", "regions": ["eu"]},
                {"id": "ops", "name": "Operations", "regions": ["*"], "roles": ["ops"]},
            ]
        async with session.post("/dev/token", json={"user": "ops"}) as response:
            assert response.status == 200
            token = (await response.json())["token"]
            claims = jwt.decode(token, options={"verify_signature": False})
            assert (claims["sub"], claims["roles"], claims["iss"]) == ("ops", ["ops"], ISSUER)
            assert claims["name"] == "Operations"
        async with session.post("/dev/token", json={"user": "mallory"}) as response:
            assert response.status == 404
            assert "known demo users: reader-eu, ops" in (await response.json())["message"]
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
