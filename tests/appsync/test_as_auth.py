"""Authorization per level: API keys, Lambda authorizer (with caching), SigV4 (IAM), OpenID Connect tokens."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
import websockets
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.appsync_server import API_KEY, KEY_AUTH, api_config, raw_client, run, running_server
from tests.support.invokers import CallableInvoker
from tests.support.loopback_http import serve_on_loopback
from vcn.appsync.config import (
    AuthProvider,
    DataSource,
    HandlerConfig,
    LambdaAuthorizerConfig,
    Namespace,
    OpenIdConnectConfig,
)
from vcn.appsync.server import AppSyncEventsServer

# ---- AWS_LAMBDA


class TokenAuthorizer:
    """A Lambda authorizer that allows tokens starting with `allow` and records every request."""

    def __init__(self, ttl_override: int | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.ttl_override = ttl_override

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(event)
        token = event["authorizationToken"]
        reply: dict[str, Any] = {
            "isAuthorized": token.startswith("allow"),
            "handlerContext": {"userId": token.split("-")[-1], "markets": "DE,FR"},
        }
        if self.ttl_override is not None:
            reply["ttlOverride"] = self.ttl_override
        return reply

    def count(self, operation: str) -> int:
        return sum(1 for r in self.requests if r["requestContext"]["operation"] == operation)


class IdentityRecorder:
    """An onSubscribe handler that allows everything and keeps the identity it was given."""

    def __init__(self) -> None:
        self.identities: list[Any] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.identities.append(event["identity"])
        return None


def lambda_config(ttl: int = 300) -> Any:
    return api_config(
        Namespace("default"),
        Namespace(
            "guarded",
            on_subscribe=HandlerConfig("DIRECT", data_source="Recorder"),
        ),
        Namespace("keyed", publish_auth_modes=("API_KEY",), subscribe_auth_modes=("API_KEY",)),
        auth_providers=(
            AuthProvider("API_KEY"),
            AuthProvider(
                "AWS_LAMBDA",
                lambda_authorizer=LambdaAuthorizerConfig(
                    "arn:aws:lambda:us-east-1:000000000000:function:TokenAuthorizer", result_ttl_seconds=ttl
                ),
            ),
        ),
        connection_auth_modes=("AWS_LAMBDA",),
        default_publish_auth_modes=("AWS_LAMBDA",),
        default_subscribe_auth_modes=("AWS_LAMBDA",),
        data_sources=(DataSource("Recorder", "arn:aws:lambda:us-east-1:000000000000:function:Recorder"),),
    )


def token_auth(token: str) -> dict[str, str]:
    return {"Authorization": token, "host": "example.appsync-api.us-east-1.amazonaws.com"}


def test_lambda_authorizer_receives_the_documented_request() -> None:
    authorizer = TokenAuthorizer()
    invoker = CallableInvoker({"TokenAuthorizer": authorizer, "Recorder": IdentityRecorder()})

    async def scenario() -> None:
        async with (
            running_server(lambda_config(), invoker) as server,
            raw_client(server, token_auth("allow-u1")) as client,
        ):
            assert (await client.subscribe("s1", "/default/a/*", token_auth("allow-u1")))[
                "type"
            ] == "subscribe_success"

    run(scenario())
    connect, subscribe = authorizer.requests
    assert connect["authorizationToken"] == "allow-u1"
    assert connect["requestContext"]["operation"] == "EVENT_CONNECT"
    assert subscribe["requestContext"] == {
        "apiId": "testapi123",
        "accountId": "000000000000",
        "requestId": subscribe["requestContext"]["requestId"],
        "operation": "EVENT_SUBSCRIBE",
        "channelNamespaceName": "default",
        "channel": "/default/a/*",
    }
    uuid.UUID(subscribe["requestContext"]["requestId"])
    assert subscribe["requestHeaders"]["authorization"] == "allow-u1"


def test_lambda_authorizer_denial_refuses_connect_and_operations() -> None:
    authorizer = TokenAuthorizer()
    invoker = CallableInvoker({"TokenAuthorizer": authorizer, "Recorder": IdentityRecorder()})

    async def scenario() -> None:
        async with running_server(lambda_config(), invoker) as server:
            async with raw_client(server, token_auth("deny-u1")) as client:
                assert json.loads(await client.ws.recv())["type"] == "connection_error"
            async with raw_client(server, token_auth("allow-u1")) as client:
                reply = await client.subscribe("s1", "/default/a", token_auth("deny-u1"))
                assert reply["errors"][0]["errorType"] == "UnauthorizedException"
                await client.publish("p1", "/default/a", ["1"], token_auth("deny-u1"))
                assert (await client.recv())["type"] == "publish_error"

    run(scenario())


def test_lambda_authorizer_results_are_cached_per_token_operation_and_channel() -> None:
    authorizer = TokenAuthorizer()
    invoker = CallableInvoker({"TokenAuthorizer": authorizer, "Recorder": IdentityRecorder()})

    async def scenario() -> None:
        async with running_server(lambda_config(ttl=300), invoker) as server:
            for _ in range(3):
                async with raw_client(server, token_auth("allow-u1")) as client:
                    await client.subscribe("s1", "/default/a", token_auth("allow-u1"))
                    for n in range(3):
                        await client.publish(f"p{n}", "/default/a", ["1"], token_auth("allow-u1"))
                        assert (await client.recv())["type"] in {"data", "publish_success"}
            async with raw_client(server, token_auth("allow-u2")) as client:
                await client.subscribe("s1", "/default/b", token_auth("allow-u2"))

    run(scenario())
    assert authorizer.count("EVENT_CONNECT") == 2  # u1 once (cached), u2 once
    assert authorizer.count("EVENT_SUBSCRIBE") == 2  # /default/a for u1, /default/b for u2
    assert authorizer.count("EVENT_PUBLISH") == 1


@pytest.mark.parametrize(("ttl", "override"), [(0, None), (300, 0)])
def test_zero_ttl_or_ttl_override_disables_the_cache(ttl: int, override: int | None) -> None:
    authorizer = TokenAuthorizer(ttl_override=override)
    invoker = CallableInvoker({"TokenAuthorizer": authorizer, "Recorder": IdentityRecorder()})

    async def scenario() -> None:
        async with running_server(lambda_config(ttl=ttl), invoker) as server:
            for _ in range(3):
                async with raw_client(server, token_auth("allow-u1")) as client:
                    await client.send({"type": "connection_init"})
                    await client.recv()

    run(scenario())
    assert authorizer.count("EVENT_CONNECT") == 3


def test_handler_context_reaches_handlers_as_identity_handler_context() -> None:
    recorder = IdentityRecorder()
    invoker = CallableInvoker({"TokenAuthorizer": TokenAuthorizer(), "Recorder": recorder})

    async def scenario() -> None:
        async with (
            running_server(lambda_config(), invoker) as server,
            raw_client(server, token_auth("allow-analyst7")) as client,
        ):
            reply = await client.subscribe("s1", "/guarded/x", token_auth("allow-analyst7"))
            assert reply["type"] == "subscribe_success"

    run(scenario())
    assert recorder.identities == [{"handlerContext": {"userId": "analyst7", "markets": "DE,FR"}}]


def test_namespace_auth_modes_override_the_api_defaults() -> None:
    invoker = CallableInvoker({"TokenAuthorizer": TokenAuthorizer(), "Recorder": IdentityRecorder()})

    async def scenario() -> None:
        async with running_server(lambda_config(), invoker) as server:
            async with raw_client(server, token_auth("allow-u1")) as client:
                assert (await client.subscribe("k1", "/keyed/a", KEY_AUTH))["type"] == "subscribe_success"
                reply = await client.subscribe("k2", "/keyed/b", token_auth("allow-u1"))
                assert reply["errors"][0]["errorType"] == "UnauthorizedException"
                reply = await client.subscribe("d1", "/default/b", KEY_AUTH)
                assert reply["errors"][0]["errorType"] == "UnauthorizedException"
            async with aiohttp.ClientSession() as http:
                body = {"channel": "/keyed/a", "events": ["1"]}
                async with http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response:
                    assert response.status == 200
                body = {"channel": "/default/a", "events": ["1"]}
                async with http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response:
                    assert response.status == 401

    run(scenario())


def test_failing_or_missing_authorizer_function_denies() -> None:
    def crash(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("authorizer bug")

    async def scenario() -> None:
        for functions in ({"TokenAuthorizer": crash}, {"SomethingElse": crash}):
            invoker = CallableInvoker({**functions, "Recorder": IdentityRecorder()})
            async with (
                running_server(lambda_config(), invoker) as server,
                raw_client(server, token_auth("allow-u1")) as client,
            ):
                assert json.loads(await client.ws.recv())["type"] == "connection_error"

    run(scenario())


def test_http_publish_is_authorized_by_the_lambda_authorizer_from_its_headers() -> None:
    authorizer = TokenAuthorizer()
    invoker = CallableInvoker({"TokenAuthorizer": authorizer, "Recorder": IdentityRecorder()})

    async def scenario() -> None:
        async with running_server(lambda_config(), invoker) as server, aiohttp.ClientSession() as http:
            body = {"channel": "/default/a", "events": ["1"]}
            for token, status in [("allow-u9", 200), ("deny-u9", 401)]:
                async with http.post(
                    server.http_url, json=body, headers={"Authorization": token}
                ) as response:
                    assert response.status == status

    run(scenario())
    assert [r["requestContext"]["operation"] for r in authorizer.requests] == ["EVENT_PUBLISH"] * 2
    assert authorizer.requests[0]["requestContext"]["channel"] == "/default/a"


# ---- AWS_IAM

ACCESS_KEY = "AKIDLOCAL0000000000"
SECRET = "local-secret-key"
IAM_CONFIG = api_config(
    auth_providers=(AuthProvider("AWS_IAM"),),
    connection_auth_modes=("AWS_IAM",),
    default_publish_auth_modes=("AWS_IAM",),
    default_subscribe_auth_modes=("AWS_IAM",),
)
HTTP_DOMAIN = "example123.appsync-api.us-east-1.amazonaws.com"


def signed(
    body: str, *, host: str = HTTP_DOMAIN, secret: str = SECRET, key: str = ACCESS_KEY
) -> dict[str, str]:
    """The authorization object an IAM client builds: SigV4 over `POST https://<host>/event` with `body`."""
    request = AWSRequest(
        method="POST",
        url=f"https://{host}/event",
        data=body.encode(),
        headers={
            "accept": "application/json, text/javascript",
            "content-encoding": "amz-1.0",
            "content-type": "application/json; charset=UTF-8",
        },
    )
    SigV4Auth(Credentials(key, secret), "appsync", "us-east-1").add_auth(request)
    return {**dict(request.headers.items()), "host": host}


def test_iam_connect_subscribe_and_publish_with_sigv4() -> None:
    async def scenario() -> None:
        async with (
            running_server(IAM_CONFIG, iam_credentials={ACCESS_KEY: SECRET}) as server,
            raw_client(server, signed("{}")) as client,
        ):
            await client.send({"type": "connection_init"})
            assert (await client.recv())["type"] == "connection_ack"
            sub_auth = signed(json.dumps({"channel": "/default/a"}))
            assert (await client.subscribe("s1", "/default/a", sub_auth))["type"] == "subscribe_success"
            events = ['{"v":1}']
            pub_auth = signed(json.dumps({"channel": "/default/a", "events": events}, separators=(",", ":")))
            await client.publish("p1", "/default/a", events, pub_auth)
            frames = [await client.recv(), await client.recv()]
            assert {"type": "data", "id": "s1", "event": '{"v":1}'} in frames

    run(scenario())


def test_iam_http_publish_is_verified_over_the_exact_body() -> None:
    async def scenario() -> None:
        async with running_server(IAM_CONFIG, iam_credentials={ACCESS_KEY: SECRET}) as server:
            host = server.http_url.split("/")[2]
            body = json.dumps({"channel": "/default/a", "events": ['"hello"']})
            async with aiohttp.ClientSession() as http:
                async with http.post(server.http_url, data=body, headers=signed(body, host=host)) as response:
                    assert response.status == 200, await response.text()
                tampered = body.replace("hello", "hallo")
                async with http.post(
                    server.http_url, data=tampered, headers=signed(body, host=host)
                ) as response:
                    assert response.status == 401

    run(scenario())


@pytest.mark.parametrize(
    "auth",
    [
        signed("{}", secret="not-the-secret"),
        signed("{}", key="AKIDUNKNOWN"),
        {**signed("{}"), "x-amz-date": "20200101T000000Z"},
        {k: v for k, v in signed("{}").items() if k != "X-Amz-Date"},
    ],
    ids=["wrong-secret", "unknown-key", "altered-date", "missing-signed-header"],
)
def test_iam_connect_with_a_bad_signature_is_refused(auth: dict[str, str]) -> None:
    async def scenario() -> None:
        async with (
            running_server(IAM_CONFIG, iam_credentials={ACCESS_KEY: SECRET}) as server,
            raw_client(server, auth) as client,
        ):
            assert json.loads(await client.ws.recv())["type"] == "connection_error"

    run(scenario())


def test_iam_signature_for_another_channel_does_not_authorize_a_subscribe() -> None:
    async def scenario() -> None:
        async with (
            running_server(IAM_CONFIG, iam_credentials={ACCESS_KEY: SECRET}) as server,
            raw_client(server, signed("{}")) as client,
        ):
            other = signed(json.dumps({"channel": "/default/a"}))
            reply = await client.subscribe("s1", "/default/b", other)
            assert reply["errors"][0]["errorType"] == "UnauthorizedException"

    run(scenario())


def test_iam_connect_with_signed_upgrade_headers() -> None:
    async def scenario() -> None:
        async with running_server(IAM_CONFIG, iam_credentials={ACCESS_KEY: SECRET}) as server:
            # Locally HTTP and realtime share host:port, so the upgrade's own Host is the signed one.
            headers = signed("{}", host=server.realtime_url.split("/")[2])
            async with websockets.connect(
                server.realtime_url,
                subprotocols=["aws-appsync-event-ws"],  # type: ignore[list-item]
                additional_headers={k: v for k, v in headers.items() if k != "host"},
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init"}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"

    run(scenario())


# ---- OPENID_CONNECT

ISSUER = "https://issuer.vcn.test"


@asynccontextmanager
async def jwks_server(public_jwk: dict[str, Any]) -> AsyncIterator[str]:
    async def jwks(_: web.Request) -> web.Response:
        return web.json_response({"keys": [public_jwk]})

    app = web.Application()
    app.router.add_get("/jwks.json", jwks)
    runner, port = await serve_on_loopback(app)
    try:
        yield f"http://127.0.0.1:{port}/jwks.json"
    finally:
        await runner.cleanup()


def make_signer() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "test-key", "alg": "RS256", "use": "sig"})
    return key, jwk


def issue(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": "analyst-de",
        "iss": ISSUER,
        "aud": "vcn-local",
        "iat": now,
        "nbf": now,
        "exp": now + dt.timedelta(minutes=5),
        "markets": ["DE"],
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test-key"})


def oidc_config(jwks_url: str) -> Any:
    return api_config(
        Namespace("default", on_subscribe=HandlerConfig("DIRECT", data_source="Recorder")),
        auth_providers=(
            AuthProvider("OPENID_CONNECT", openid_connect=OpenIdConnectConfig(ISSUER, "vcn-local", jwks_url)),
        ),
        connection_auth_modes=("OPENID_CONNECT",),
        default_publish_auth_modes=("OPENID_CONNECT",),
        default_subscribe_auth_modes=("OPENID_CONNECT",),
        data_sources=(DataSource("Recorder", "Recorder"),),
    )


def test_openid_connect_token_is_verified_against_the_issuer_jwks() -> None:
    key, jwk = make_signer()
    recorder = IdentityRecorder()
    other_key, _ = make_signer()

    async def scenario() -> None:
        async with jwks_server(jwk) as jwks_url:
            config = oidc_config(jwks_url)
            async with running_server(config, CallableInvoker({"Recorder": recorder})) as server:
                good = token_auth(issue(key))
                async with raw_client(server, good) as client:
                    assert (await client.subscribe("s1", "/default/a", good))["type"] == "subscribe_success"
                    for bad_token in [
                        issue(key, aud="someone-else"),
                        issue(key, iss="https://evil.test"),
                        issue(key, exp=int(time.time()) - 60),
                        issue(other_key),
                        "not-a-jwt",
                    ]:
                        reply = await client.subscribe("s2", "/default/b", token_auth(bad_token))
                        assert reply["errors"][0]["errorType"] == "UnauthorizedException", bad_token

    run(scenario())
    (identity,) = recorder.identities
    assert identity["sub"] == "analyst-de" and identity["issuer"] == ISSUER
    assert identity["claims"]["markets"] == ["DE"]


def test_lambda_auth_mode_without_an_invoker_is_refused_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invoker"):
        AppSyncEventsServer(lambda_config(), None, state_dir=tmp_path)


def test_oidc_token_older_than_iat_ttl_is_refused() -> None:
    key, jwk = make_signer()

    async def scenario() -> None:
        async with jwks_server(jwk) as jwks_url:
            base = oidc_config(jwks_url)
            provider = AuthProvider(
                "OPENID_CONNECT",
                openid_connect=OpenIdConnectConfig(ISSUER, "vcn-local", jwks_url, iat_ttl_ms=60_000),
            )
            config = dataclasses.replace(base, auth_providers=(provider,))
            async with running_server(config, CallableInvoker({"Recorder": IdentityRecorder()})) as server:
                fresh = token_auth(issue(key))
                async with raw_client(server, fresh) as client:
                    old = token_auth(issue(key, iat=int(time.time()) - 120))
                    reply = await client.subscribe("s1", "/default/a", old)
                    assert reply["errors"][0]["errorType"] == "UnauthorizedException"

    run(scenario())
