"""Auth strategies against the server: Lambda authorizer tokens and SigV4 (IAM) for every operation."""

from __future__ import annotations

import base64
import json

import pytest
from appsync_events_client import Auth, ConnectError, IamAuth, PublishError, TokenAuth
from appsync_events_client.auth import header_subprotocol
from botocore.credentials import Credentials

from tests.support.event_api import IAM_KEY_ID, IAM_SECRET, LocalEventApi


@pytest.mark.parametrize(
    ("auth", "channel", "key"),
    [
        (TokenAuth("allow-analyst-de"), "/ns/lambda", "via"),
        (IamAuth(Credentials(IAM_KEY_ID, IAM_SECRET, "session-token"), "us-east-1"), "/ns/iam", "signed"),
    ],
    ids=["lambda-token", "iam-sigv4"],
)
def test_an_auth_mode_connects_subscribes_and_publishes_over_both_transports(
    local_api: LocalEventApi, auth: Auth, channel: str, key: str
) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            client = local_api.client(server, auth)
            async with client.connect() as conn:
                sub = await conn.subscribe(channel)
                await conn.publish(channel, [{key: "ws"}])
                await client.publish_http(channel, [{key: "http"}])
                assert [await sub.get(5), await sub.get(5)] == [{key: "ws"}, {key: "http"}]

    local_api.run(scenario())


def test_token_provider_is_called_for_every_request(local_api: LocalEventApi) -> None:
    tokens = iter(["allow-first", "allow-second", "allow-third"])
    seen: list[str] = []

    def next_token() -> str:
        seen.append(next(tokens))
        return seen[-1]

    async def scenario() -> None:
        async with (
            local_api.server() as server,
            local_api.client(server, TokenAuth(next_token)).connect() as c,
        ):
            await c.publish("/ns/a", [1])

    local_api.run(scenario())
    assert seen == ["allow-first", "allow-second"]


def test_lambda_authorizer_denial_raises_connect_error(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            with pytest.raises(ConnectError) as caught:
                await local_api.client(server, TokenAuth("deny-me")).connect().open()
            assert caught.value.error_type == "UnauthorizedException"

    local_api.run(scenario())


def test_iam_with_a_wrong_secret_is_refused_everywhere(local_api: LocalEventApi) -> None:
    auth = IamAuth(Credentials(IAM_KEY_ID, "not-the-secret"), "us-east-1")

    async def scenario() -> None:
        async with local_api.server() as server:
            client = local_api.client(server, auth)
            with pytest.raises(ConnectError) as connect_error:
                await client.connect().open()
            with pytest.raises(PublishError) as publish_error:
                await client.publish_http("/ns/iam", [1])
            assert connect_error.value.is_unauthorized and publish_error.value.status == 401

    local_api.run(scenario())


def test_iam_auth_object_carries_the_sigv4_headers_amplify_sends() -> None:
    auth = IamAuth(Credentials("AKIDEXAMPLE", "secret", "token"), "eu-central-1")
    headers = auth.headers("https://abc.appsync-api.eu-central-1.amazonaws.com/event", "h.example", "{}")
    assert headers["host"] == "h.example"
    assert headers["content-encoding"] == "amz-1.0"
    assert headers["content-type"] == "application/json; charset=UTF-8"
    assert headers["X-Amz-Security-Token"] == "token"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-central-1/appsync/aws4_request" in headers["Authorization"]
    assert "SignedHeaders=accept;content-encoding;content-type;host;x-amz-date" in headers["Authorization"]


def test_header_subprotocol_is_unpadded_base64url_json() -> None:
    auth = {"x-api-key": "da2-??>>", "host": "example.com"}
    protocol = header_subprotocol(auth)
    encoded = protocol.removeprefix("header-")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))) == auth
