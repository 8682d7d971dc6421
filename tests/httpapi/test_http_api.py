"""The HTTP API on the API port: route choice, payload format 2.0, the JWT authorizer and response mapping."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest

from tests.support.invokers import CallableInvoker
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.httpapi import ApiServer, HttpRoute, JwtAuthorizerConfig, RouteTable
from vcn.httpapi.authorizer import parse_claim_list, render_claim
from vcn.httpapi.payload import MalformedResult, map_result
from vcn.identity import DevIdentityProvider, load_or_create_signing_key
from vcn.invoker import FunctionError

ISSUER = "http://127.0.0.1:4999"
AUTHORIZER = JwtAuthorizerConfig("AnalystTokenAuthorizer", ISSUER, ("vcn-local",))


def test_most_specific_route_wins() -> None:
    table = RouteTable(
        [
            HttpRoute("ANY", "/{proxy+}", "Proxy"),
            HttpRoute("GET", "/items/{id}", "GetItem"),
            HttpRoute("GET", "/items/special", "Special"),
            HttpRoute("ANY", "/items/{id}", "AnyItem"),
            HttpRoute("ANY", "$default", "Default"),
        ]
    )
    assert table.match("GET", "/items/special").route.function == "Special"  # type: ignore[union-attr]
    found = table.match("GET", "/items/42")
    assert found is not None and found.route.function == "GetItem" and found.path_parameters == {"id": "42"}
    assert table.match("DELETE", "/items/42").route.function == "AnyItem"  # type: ignore[union-attr]
    proxied = table.match("POST", "/a/b/c")
    assert (
        proxied is not None
        and proxied.route.function == "Proxy"
        and proxied.path_parameters == {"proxy": "a/b/c"}
    )
    assert table.match("GET", "/").route.function == "Default"  # type: ignore[union-attr]
    assert RouteTable([HttpRoute("POST", "/x", "X")]).match("GET", "/x") is None


def test_claims_render_like_api_gateway() -> None:
    assert render_claim(["DE", "FR"]) == "[DE FR]"
    assert render_claim(1700000000) == "1700000000"
    assert render_claim(True) == "true"
    assert render_claim("analyst-de") == "analyst-de"
    assert parse_claim_list("[DE FR]") == ["DE", "FR"] and parse_claim_list("[]") == []


def test_results_map_to_http_as_payload_format_2() -> None:
    bare = map_result({"valid": True})
    assert (bare.status, bare.body, dict(bare.headers)["content-type"]) == (
        200,
        b'{"valid": true}',
        "application/json",
    )
    assert map_result("hello").body == b"hello"
    structured = map_result(
        {"statusCode": 201, "headers": {"x-a": "1"}, "cookies": ["a=1", "b=2"], "body": "created"}
    )
    assert structured.status == 201 and structured.body == b"created"
    assert [value for name, value in structured.headers if name == "set-cookie"] == ["a=1", "b=2"]
    assert map_result({"statusCode": 200, "body": "aGk=", "isBase64Encoded": True}).body == b"hi"
    with pytest.raises(MalformedResult):
        map_result({"statusCode": "teapot"})


Scenario = Callable[[aiohttp.ClientSession, DevIdentityProvider, list[dict[str, Any]]], Awaitable[None]]


def _run(tmp_path: Path, scenario: Scenario) -> None:
    seen: list[dict[str, Any]] = []

    def echo(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}

    def explode(event: dict[str, Any]) -> None:
        raise FunctionError("ValueError", "boom")

    invoker = CallableInvoker(
        {
            "Echo": echo,
            "Explode": explode,
            "Bare": lambda event: {"ok": True},
            "Bad": lambda e: {"statusCode": -1},
        }
    )
    routes = [
        HttpRoute("POST", "/configurations/validate", "Echo", AUTHORIZER),
        HttpRoute("GET", "/open/{name}", "Echo"),
        HttpRoute("GET", "/explode", "Explode"),
        HttpRoute("GET", "/bare", "Bare"),
        HttpRoute("GET", "/bad", "Bad"),
    ]
    provider = DevIdentityProvider(load_or_create_signing_key(tmp_path), issuer=ISSUER)

    async def jwks() -> dict[str, Any]:
        return provider.jwks

    async def main() -> None:
        server = ApiServer(
            routes,
            invoker,
            account_id=LOCAL_ACCOUNT.account_id,
            api_id="abc123",
            jwks_source_for=lambda config: jwks,
        )
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession(base_url=server.url) as session:
                await scenario(session, provider, seen)
        finally:
            await server.stop()

    asyncio.run(main())


def test_event_has_the_payload_format_2_fields(tmp_path: Path) -> None:
    async def scenario(
        session: aiohttp.ClientSession, provider: DevIdentityProvider, seen: list[Any]
    ) -> None:
        token = provider.issue_token("analyst-de", {"markets": ["DE", "FR"], "plants": ["ZWI"]})
        async with session.post(
            "/configurations/validate?dry=1&tag=a&tag=b",
            data=b'{"market":"DE"}',
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-Trace": "t1"},
            cookies={"session": "s1"},
        ) as response:
            assert response.status == 200
        event = seen[-1]
        assert event["version"] == "2.0"
        assert event["routeKey"] == "POST /configurations/validate"
        assert event["rawPath"] == "/configurations/validate"
        assert event["rawQueryString"] == "dry=1&tag=a&tag=b"
        assert event["queryStringParameters"] == {"dry": "1", "tag": "a,b"}
        assert event["headers"]["x-trace"] == "t1" and "cookie" not in event["headers"]
        assert event["cookies"] == ["session=s1"]
        assert event["body"] == '{"market":"DE"}' and event["isBase64Encoded"] is False
        context = event["requestContext"]
        assert (context["accountId"], context["apiId"], context["stage"]) == (
            "000000000000",
            "abc123",
            "$default",
        )
        assert context["http"]["method"] == "POST" and context["http"]["path"] == "/configurations/validate"
        assert context["http"]["sourceIp"] == "127.0.0.1" and context["http"]["protocol"] == "HTTP/1.1"
        assert context["routeKey"] == "POST /configurations/validate" and context["requestId"]
        assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
        claims = context["authorizer"]["jwt"]["claims"]
        assert (
            claims["sub"] == "analyst-de" and claims["markets"] == "[DE FR]" and claims["plants"] == "[ZWI]"
        )
        assert claims["iss"] == ISSUER and claims["exp"].isdigit()

        async with session.get("/open/zwickau") as response:
            assert response.status == 200
        assert seen[-1]["pathParameters"] == {"name": "zwickau"}
        assert "authorizer" not in seen[-1]["requestContext"] and "body" not in seen[-1]

    _run(tmp_path, scenario)


def test_jwt_authorizer_refuses_missing_and_bad_tokens(tmp_path: Path) -> None:
    async def scenario(
        session: aiohttp.ClientSession, provider: DevIdentityProvider, seen: list[Any]
    ) -> None:
        now = int(time.time())
        key = provider.key.private_key
        kid = {"kid": provider.key.kid}
        base = {
            "sub": "analyst-de",
            "iss": ISSUER,
            "aud": "vcn-local",
            "iat": now,
            "nbf": now,
            "exp": now + 60,
        }
        bad_tokens = [
            None,
            "not-a-jwt",
            jwt.encode({**base, "exp": now - 10}, key, algorithm="RS256", headers=kid),
            jwt.encode({**base, "aud": "someone-else"}, key, algorithm="RS256", headers=kid),
            jwt.encode({**base, "iss": "http://evil"}, key, algorithm="RS256", headers=kid),
            jwt.encode(base, "a-shared-secret-of-at-least-32-bytes", algorithm="HS256", headers=kid),
            jwt.encode(base, key, algorithm="RS256", headers={"kid": "unknown"}),
        ]
        for token in bad_tokens:
            headers = {"Authorization": token} if token else {}
            async with session.post("/configurations/validate", json={}, headers=headers) as response:
                assert response.status == 401, token
                assert await response.json() == {"message": "Unauthorized"}
        assert seen == []
        good = jwt.encode(base, key, algorithm="RS256", headers=kid)
        async with session.post(
            "/configurations/validate", json={}, headers={"Authorization": good}
        ) as response:
            assert response.status == 200  # the Bearer prefix is optional, as in API Gateway

    _run(tmp_path, scenario)


def test_gateway_answers_for_errors_and_bare_results(tmp_path: Path) -> None:
    async def scenario(
        session: aiohttp.ClientSession, provider: DevIdentityProvider, seen: list[Any]
    ) -> None:
        async with session.get("/explode") as response:
            assert response.status == 500
            assert await response.json() == {"message": "Internal Server Error"}
        async with session.get("/bad") as response:
            assert response.status == 500
        async with session.get("/bare") as response:
            assert response.status == 200 and await response.json() == {"ok": True}
            assert response.headers["content-type"] == "application/json"
        async with session.get("/nowhere") as response:
            assert response.status == 404 and await response.json() == {"message": "Not Found"}
        async with session.delete("/bare") as response:
            assert response.status == 404

    _run(tmp_path, scenario)
