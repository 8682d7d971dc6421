"""Protocol conformance of the AppSync Events server, driven by a raw `websockets` client and plain HTTP."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
import websockets

from tests.support.appsync_server import (
    API_KEY,
    KEY_AUTH,
    RawClient,
    api_config,
    raw_client,
    run,
    run_with_raw_client,
    run_with_subscriber_and_publisher,
    running_server,
)
from vcn.appsync.config import ApiKey
from vcn.appsync.protocol import AppSyncLimits
from vcn.appsync.server import AppSyncEventsServer


def test_connection_init_is_acknowledged_with_the_documented_timeout() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        assert client.ws.subprotocol == "aws-appsync-event-ws"
        await client.send({"type": "connection_init"})
        assert await client.recv() == {"type": "connection_ack", "connectionTimeoutMs": 300000}

    run_with_raw_client(scenario)


def test_connection_init_is_optional() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        assert await client.subscribe("s1", "/default/a") == {"type": "subscribe_success", "id": "s1"}

    run_with_raw_client(scenario)


def test_connect_accepts_auth_as_plain_upgrade_headers() -> None:
    async def scenario() -> None:
        async with (
            running_server() as server,
            websockets.connect(
                server.realtime_url,
                subprotocols=["aws-appsync-event-ws"],  # type: ignore[list-item]
                additional_headers={"x-api-key": API_KEY},
            ) as ws,
        ):
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"

    run(scenario())


@pytest.mark.parametrize("auth", [{"x-api-key": "da2-wrong"}, {}, {"X-API-KEY": "nope", "host": "h"}])
def test_failed_connect_sends_connection_error_then_closes_1000(auth: dict[str, str]) -> None:
    async def scenario() -> None:
        async with running_server() as server, raw_client(server, auth) as client:
            frame = json.loads(await client.ws.recv())
            assert frame == {
                "type": "connection_error",
                "errors": [
                    {
                        "errorType": "UnauthorizedException",
                        "message": "You are not authorized to make this call.",
                        "errorCode": 401,
                    }
                ],
            }
            with pytest.raises(websockets.ConnectionClosed):
                await client.ws.recv()
            assert client.ws.close_code == 1000

    run(scenario())


def test_expired_api_key_is_rejected() -> None:
    config = api_config(api_keys=(ApiKey("Old", API_KEY, int(time.time()) - 1),))

    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        assert json.loads(await client.ws.recv())["type"] == "connection_error"

    run_with_raw_client(scenario, config)


def test_api_key_header_is_matched_in_any_case_and_unknown_keys_are_ignored() -> None:
    auth = {
        "X-Api-Key": API_KEY,
        "Host": "h",
        "x-amz-user-agent": "aws-amplify/6",
        "x-amz-date": "20250101T000000Z",
    }

    async def scenario() -> None:
        async with running_server() as server, raw_client(server, auth) as client:
            assert (await client.subscribe("s1", "/default/a", auth))["type"] == "subscribe_success"

    run(scenario())


def test_publish_delivers_one_data_frame_per_event_then_publish_success() -> None:
    async def scenario(server: AppSyncEventsServer, sub: RawClient, pub: RawClient) -> None:
        await sub.subscribe("s1", "/default/a")
        await pub.publish("p1", "/default/a", [json.dumps({"n": 1}), '"two"', "3"])
        reply = await pub.recv()
        assert reply["type"] == "publish_success" and reply["id"] == "p1" and reply["failed"] == []
        assert [s["index"] for s in reply["successful"]] == [0, 1, 2]
        assert len({s["identifier"] for s in reply["successful"]}) == 3
        frames = [await sub.recv() for _ in range(3)]
        assert frames == [
            {"type": "data", "id": "s1", "event": '{"n": 1}'},
            {"type": "data", "id": "s1", "event": '"two"'},
            {"type": "data", "id": "s1", "event": "3"},
        ]
        assert await sub.silent()

    run_with_subscriber_and_publisher(scenario)


def test_amplify_payload_object_and_channel_without_leading_slash_are_tolerated() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.send(
            {
                "type": "subscribe",
                "id": "amp-1",
                "channel": "default/room",
                "payload": {"channel": "default/room"},
                "authorization": KEY_AUTH,
            }
        )
        assert await client.recv() == {"type": "subscribe_success", "id": "amp-1"}
        await client.send(
            {
                "type": "publish",
                "id": "amp-2",
                "channel": "default/room",
                "events": ['{"hi":1}'],
                "payload": {"events": ['{"hi":1}']},
                "authorization": KEY_AUTH,
            }
        )
        frames = [await client.recv(), await client.recv()]
        assert {"type": "data", "id": "amp-1", "event": '{"hi":1}'} in frames
        assert any(f["type"] == "publish_success" for f in frames)

    run_with_raw_client(scenario)


def test_wildcard_subscription_matches_every_depth_below_its_prefix_only() -> None:
    async def scenario(server: AppSyncEventsServer, sub: RawClient, pub: RawClient) -> None:
        for sub_id, channel in [("all", "/default/*"), ("ab", "/default/a/b/*"), ("exact", "/default/a")]:
            assert (await sub.subscribe(sub_id, channel))["type"] == "subscribe_success"
        expected = {
            "/default/a": {"all", "exact"},
            "/default/a/b": {"all"},
            "/default/a/b/c": {"all", "ab"},
            "/default/a/b/c/d": {"all", "ab"},
            "/default/x": {"all"},
            "/other/a": set(),
            "/default": set(),
        }
        for n, (channel, receivers) in enumerate(expected.items()):
            await pub.publish(f"p{n}", channel, [json.dumps(channel)])
            assert (await pub.recv())["type"] == "publish_success"
            got = {(await sub.recv())["id"] for _ in receivers}
            assert got == receivers, channel
            assert await sub.silent(0.1), channel

    run_with_subscriber_and_publisher(scenario)


def test_unsubscribe_stops_delivery_and_unknown_id_is_an_error() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/default/a")
        await client.send({"type": "unsubscribe", "id": "s1"})
        assert await client.recv() == {"type": "unsubscribe_success", "id": "s1"}
        await client.publish("p", "/default/a", ["1"])
        assert (await client.recv())["type"] == "publish_success"
        assert await client.silent()
        await client.send({"type": "unsubscribe", "id": "s1"})
        assert await client.recv() == {
            "type": "unsubscribe_error",
            "id": "s1",
            "errors": [{"errorType": "UnknownOperationError", "message": "Unknown operation id s1"}],
        }

    run_with_raw_client(scenario)


def test_subscription_id_of_128_allowed_characters_is_accepted() -> None:
    sub_id = ("Ab0-_+" * 22)[:128]

    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        assert await client.subscribe(sub_id, "/default/a") == {"type": "subscribe_success", "id": sub_id}

    run_with_raw_client(scenario)


def test_more_than_200_subscriptions_on_one_connection_is_refused() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        for n in range(200):
            await client.send(
                {
                    "type": "subscribe",
                    "id": f"s{n}",
                    "channel": f"/default/c{n}",
                    "authorization": KEY_AUTH,
                }
            )
        replies = [await client.recv() for _ in range(200)]
        assert all(r["type"] == "subscribe_success" for r in replies)
        reply = await client.subscribe("s200", "/default/over")
        assert reply["type"] == "subscribe_error"
        assert reply["errors"][0]["errorType"] == "MaxSubscriptionsReachedError"

    run_with_raw_client(scenario)


@pytest.mark.parametrize(
    ("sub_id", "channel"),
    [
        # subscription ids outside the alphabet or the length
        *[(sub_id, "/default/a") for sub_id in ["", "a" * 129, "has space", "semi;colon", "slash/id"]],
        # malformed channels
        ("s1", "/default/a/b/c/d/e"),  # six segments
        ("s1", "/default/-a"),
        ("s1", "/default/a-"),
        ("s1", "/default/a_b"),
        ("s1", "/default/" + "x" * 51),
        ("s1", "/default//a"),
        ("s1", "/default/*/a"),
        ("s1", ""),
        ("s1", "/*"),
    ],
)
def test_a_malformed_subscription_id_or_channel_is_a_bad_request(sub_id: str, channel: str) -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        reply = await client.subscribe(sub_id, channel)
        assert reply["type"] == "subscribe_error"
        assert reply["errors"][0]["errorType"] == "BadRequestException"

    run_with_raw_client(scenario)


def test_channel_in_unknown_namespace_is_unauthorized_without_message() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        assert await client.subscribe("s1", "/nowhere/a") == {
            "type": "subscribe_error",
            "id": "s1",
            "errors": [{"errorType": "UnauthorizedException"}],
        }
        await client.publish("p1", "/nowhere/a", ["1"])
        reply = await client.recv()
        assert reply["type"] == "publish_error" and reply["errors"] == [
            {"errorType": "UnauthorizedException"}
        ]

    run_with_raw_client(scenario)


def test_each_operation_is_authorized_on_its_own_authorization_object() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        reply = await client.subscribe("s1", "/default/a", {"x-api-key": "da2-wrong"})
        assert reply["type"] == "subscribe_error"
        assert reply["errors"][0]["errorType"] == "UnauthorizedException"
        await client.send({"type": "publish", "id": "p1", "channel": "/default/a", "events": ["1"]})
        reply = await client.recv()
        assert reply["type"] == "publish_error"
        assert reply["errors"][0]["errorType"] == "UnauthorizedException"

    run_with_raw_client(scenario)


def test_more_than_five_events_is_invalid_input_over_websocket() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/default/a")
        await client.publish("p1", "/default/a", ["1"] * 6)
        assert await client.recv() == {
            "type": "publish_error",
            "id": "p1",
            "errors": [{"errorType": "InvalidInputError", "message": "input exceeded 5 event limit"}],
        }
        assert await client.silent()

    run_with_raw_client(scenario)


@pytest.mark.parametrize(
    ("channel", "events", "error_type"),
    [
        ("/default/*", ["1"], "BadRequestException"),  # publishing to a wildcard
        # oversized, non-string or non-JSON events, or none
        ("/default/a", [json.dumps("x" * (240 * 1024))], "InvalidInputError"),
        ("/default/a", [1], "InvalidInputError"),
        ("/default/a", ["not json"], "InvalidInputError"),
        ("/default/a", [], "InvalidInputError"),
    ],
)
def test_a_refused_publish_gets_a_publish_error_saying_why(
    channel: str, events: list[object], error_type: str
) -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.publish("p1", channel, events)
        reply = await client.recv()
        assert reply["type"] == "publish_error"
        assert reply["errors"][0]["errorType"] == error_type

    run_with_raw_client(scenario)


def test_event_of_just_under_240_kb_is_delivered() -> None:
    event = json.dumps("y" * (240 * 1024 - 10))

    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/default/a")
        await client.publish("p1", "/default/a", [event])
        frames = [await client.recv(), await client.recv()]
        assert {"type": "data", "id": "s1", "event": event} in frames

    run_with_raw_client(scenario)


def test_publish_request_over_1_2_mb_is_rejected() -> None:
    events = [json.dumps("z" * (239 * 1024))] * 5  # each event is legal; together they exceed 1.2 MB

    async def scenario() -> None:
        async with running_server() as server, raw_client(server, max_size=None) as client:
            await client.publish("p1", "/default/a", events)
            reply = await client.recv()
            assert reply["type"] == "publish_error"
            assert reply["errors"][0]["errorType"] == "InvalidInputError"
            async with aiohttp.ClientSession() as http:
                body = {"channel": "/default/a", "events": events}
                async with http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response:
                    assert response.status == 413
                    assert (await response.json())["errors"][0]["errorType"] == "BadRequestException"

    run(scenario())


def test_publishes_beyond_the_per_connection_rate_are_refused() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        for n in range(60):
            await client.publish(f"p{n}", "/default/a", ["1"])
        replies = [await client.recv() for _ in range(60)]
        refused = [r for r in replies if r["type"] == "publish_error"]
        assert 0 < len(refused) <= 35
        assert {r["errors"][0]["errorType"] for r in refused} == {"TooManyRequestsException"}

    run_with_raw_client(scenario)


def test_unknown_message_type_and_invalid_json_get_error_frames() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.send({"type": "start", "id": "x1"})
        reply = await client.recv()
        assert reply["type"] == "error" and reply["id"] == "x1"
        await client.ws.send("{not json")
        assert (await client.recv())["type"] == "error"

    run_with_raw_client(scenario)


def test_keep_alive_frames_arrive_at_the_configured_interval() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        frames = [json.loads(await asyncio.wait_for(client.ws.recv(), 5)) for _ in range(3)]
        assert frames == [{"type": "ka"}] * 3

    run_with_raw_client(scenario, keepalive_seconds=0.05)


def test_connection_is_closed_at_its_maximum_lifetime() -> None:
    async def scenario() -> None:
        limits = AppSyncLimits(max_connection_seconds=0.2)
        async with running_server(limits=limits) as server, raw_client(server) as client:
            with pytest.raises(websockets.ConnectionClosed):
                await client.recv(timeout=5)
            assert client.ws.close_code == 1000

    run(scenario())


def test_http_publish_reaches_websocket_subscribers() -> None:
    async def scenario() -> None:
        async with running_server() as server, raw_client(server) as sub, aiohttp.ClientSession() as http:
            await sub.subscribe("s1", "/default/*")
            body = {"channel": "default/a/b", "events": ['{"x":1}', "[1,2]"]}
            async with http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response:
                assert response.status == 200
                result = await response.json()
            assert result["failed"] == [] and [s["index"] for s in result["successful"]] == [0, 1]
            assert [(await sub.recv())["event"] for _ in range(2)] == ['{"x":1}', "[1,2]"]

    run(scenario())


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        ({"channel": "/default/a", "events": ["1"]}, {"x-api-key": "wrong"}, 401, "UnauthorizedException"),
        ({"channel": "/default/a", "events": ["1"]}, {}, 401, "UnauthorizedException"),
        ({"channel": "/default/a", "events": ["1"] * 6}, None, 400, "BadRequestException"),
        ({"channel": "/default/*", "events": ["1"]}, None, 400, "BadRequestException"),
        ({"channel": "/missing/a", "events": ["1"]}, None, 401, "UnauthorizedException"),
        ({"channel": "/default/a", "events": ["{bad"]}, None, 400, "BadRequestException"),
        ({"events": ["1"]}, None, 400, "BadRequestException"),
    ],
)
def test_http_publish_errors(
    body: dict[str, object], headers: dict[str, str] | None, status: int, error: str
) -> None:
    async def scenario() -> None:
        async with running_server() as server, aiohttp.ClientSession() as http:
            sent = {"x-api-key": API_KEY} if headers is None else headers
            async with http.post(server.http_url, json=body, headers=sent) as response:
                assert response.status == status
                assert (await response.json())["errors"][0]["errorType"] == error

    run(scenario())


def test_http_publish_over_five_events_has_the_documented_message() -> None:
    async def scenario() -> None:
        async with running_server() as server, aiohttp.ClientSession() as http:
            body = {"channel": "/default/a", "events": ["1"] * 6}
            async with http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response:
                assert await response.json() == {
                    "errors": [
                        {"errorType": "BadRequestException", "message": "Input exceeded 5 event limit"}
                    ]
                }

    run(scenario())


def test_cors_preflight_allows_browser_publishes_with_an_authorization_header() -> None:
    async def scenario() -> None:
        async with running_server() as server, aiohttp.ClientSession() as http:
            headers = {
                "Origin": "http://localhost:5173",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            }
            async with http.options(server.http_url, headers=headers) as response:
                assert response.status == 204
                assert response.headers["Access-Control-Allow-Origin"] == "*"
                assert response.headers["Access-Control-Allow-Headers"] == "authorization,content-type"

    run(scenario())
