"""What the AppSync Events server answers for input at and over its limits, and for input that is not JSON:
exact status codes, error types and messages, over HTTP (`POST /event`) and the WebSocket. Nothing refused is
ever delivered to a subscriber."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import websockets

from tests.support import appsync_server as rig
from tests.support.invokers import CallableInvoker
from vcn.appsync.channels import parse_channel
from vcn.appsync.config import DataSource, HandlerConfig, Namespace
from vcn.appsync.server import AppSyncEventsServer

REQUEST_LIMIT = 1_200_000
EVENT_LIMIT = 240 * 1024
HEADERS = {"x-api-key": rig.API_KEY, "content-type": "application/json"}
TOO_LARGE = {
    "errors": [
        {
            "errorType": "BadRequestException",
            "message": "Request body exceeds the 1200000-byte limit of a publish request;"
            " send fewer or smaller events",
        }
    ]
}


def bad_request(message: str) -> dict[str, Any]:
    return {"errors": [{"errorType": "BadRequestException", "message": message}]}


def json_string_of_size(size: int) -> str:
    """A JSON string literal (an event) of exactly `size` bytes."""
    return json.dumps("e" * (size - 2))


def publish_body(channel: str, events: list[str]) -> bytes:
    return json.dumps({"channel": channel, "events": events}, separators=(",", ":")).encode()


def body_of_size(size: int) -> bytes:
    """A valid publish of five legal events whose body is exactly `size` bytes."""
    empty = len(publish_body("/default/a", ['""'] * 5))
    # Each event's body form escapes its two quotes; spread the rest over five events.
    payload = size - empty
    share, rest = divmod(payload, 5)
    events = [json_string_of_size(2 + share + (1 if i < rest else 0)) for i in range(5)]
    body = publish_body("/default/a", events)
    assert len(body) == size and all(len(e) <= EVENT_LIMIT for e in events)
    return body


async def post(server: AppSyncEventsServer, body: Any, **kwargs: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.http_url, data=body, headers=kwargs.pop("headers", HEADERS), **kwargs) as response,
    ):
        return response.status, await response.json(content_type=None)


async def subscribed(server: AppSyncEventsServer, client: rig.RawClient, channel: str = "/default/a") -> None:
    assert (await client.subscribe("watch", channel))["type"] == "subscribe_success"


# ---- HTTP publish: sizes


def test_a_10_mb_publish_body_is_413_not_500() -> None:
    async def scenario(server: AppSyncEventsServer, watcher: rig.RawClient) -> None:
        await subscribed(server, watcher)
        assert await post(server, b"x" * (10 * 1024 * 1024)) == (413, TOO_LARGE)
        assert await watcher.silent()

    rig.run_with_raw_client(scenario)


def test_a_publish_body_of_exactly_1_2_mb_is_delivered_and_one_byte_more_is_413() -> None:
    async def scenario() -> None:
        async with rig.running_server() as server, rig.raw_client(server, max_size=None) as watcher:
            await subscribed(server, watcher)
            status, reply = await post(server, body_of_size(REQUEST_LIMIT))
            assert status == 200 and len(reply["successful"]) == 5 and reply["failed"] == []
            assert [(await watcher.recv())["type"] for _ in range(5)] == ["data"] * 5
            assert await post(server, body_of_size(REQUEST_LIMIT + 1)) == (413, TOO_LARGE)
            assert await watcher.silent()

    rig.run(scenario())


def test_a_chunked_publish_body_over_the_limit_is_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b" " * 65536  # no Content-Length: the server finds out while reading

    async def scenario() -> None:
        async with rig.running_server() as server:
            assert await post(server, chunks()) == (413, TOO_LARGE)

    rig.run(scenario())


def test_an_event_of_exactly_240_kb_is_delivered_and_one_byte_more_is_refused() -> None:
    async def scenario(server: AppSyncEventsServer, watcher: rig.RawClient) -> None:
        await subscribed(server, watcher)
        largest = json_string_of_size(EVENT_LIMIT)
        status, _ = await post(server, publish_body("/default/a", [largest]))
        assert status == 200
        assert await watcher.recv() == {"type": "data", "id": "watch", "event": largest}
        assert await post(server, publish_body("/default/a", [json_string_of_size(EVENT_LIMIT + 1)])) == (
            400,
            bad_request("event 0 exceeds the 240 KB event size limit"),
        )
        assert await watcher.silent()

    rig.run_with_raw_client(scenario)


# ---- HTTP publish: what is not JSON


DEEP = "[" * 100_000
NAN_REFUSED = "NaN is not a JSON value; send a finite number or null"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            DEEP.encode(),
            'Request body must be JSON: {"channel": "/ns/a", "events": ["<json>"]}'
            " (JSON nests deeper than 500 levels; flatten it)",
        ),
        (
            b'{"channel":"/default/a","events":["1"],"x":NaN}',
            'Request body must be JSON: {"channel": "/ns/a", "events": ["<json>"]} (' + NAN_REFUSED + ")",
        ),
        (
            b'{"channel":"/default/\xff","events":["1"]}',
            'Request body must be JSON: {"channel": "/ns/a", "events": ["<json>"]}'
            " (the body is not UTF-8 (invalid byte at offset 21))",
        ),
        (
            publish_body("/default/a", [DEEP]),
            "event 0 is not valid JSON: JSON nests deeper than 500 levels; flatten it",
        ),
        (publish_body("/default/a", ["1", '{"a":NaN}']), "event 1 is not valid JSON: " + NAN_REFUSED),
        (
            publish_body("/default/a", ["[Infinity]"]),
            "event 0 is not valid JSON: Infinity is not a JSON value; send a finite number or null",
        ),
        (
            publish_body("/default/a", ['{"big":1e400}']),
            "event 0 is not valid JSON: the number 1e400 is out of range; JSON numbers must fit a double",
        ),
        (
            b'{"channel":"/default/a","events":["\\"\\ud800\\""]}',
            "event 0 holds a lone surrogate ('\\ud800') at character 1, which is not text;"
            " escape pairs must be complete",
        ),
    ],
    ids=[
        "deep-body",
        "nan-body",
        "not-utf8",
        "deep-event",
        "nan-event",
        "infinity-event",
        "1e400",
        "surrogate",
    ],
)
def test_publish_of_what_is_not_json_is_400_and_nothing_is_delivered(body: bytes, message: str) -> None:
    async def scenario(server: AppSyncEventsServer, watcher: rig.RawClient) -> None:
        await subscribed(server, watcher)
        assert await post(server, body) == (400, bad_request(message))
        assert await watcher.silent()

    rig.run_with_raw_client(scenario)


def test_an_error_that_quotes_a_lone_surrogate_is_still_valid_json() -> None:
    async def scenario() -> None:
        async with rig.running_server() as server:
            status, reply = await post(server, b'{"channel":"/default/\\udc00","events":["1"]}')
            assert status == 400
            assert reply == bad_request(
                "Invalid channel /default/\udc00: each segment must be 1-50 characters of A-Z, a-z, 0-9"
                " and '-', not starting or ending with '-'"
            )

    rig.run(scenario())


def test_an_api_key_that_is_not_ascii_is_unauthorized_over_http_and_websocket() -> None:
    async def scenario(server: AppSyncEventsServer, client: rig.RawClient) -> None:
        reply = await client.subscribe("s1", "/default/a", {"x-api-key": "clé-\udc80"})
        assert reply == {
            "type": "subscribe_error",
            "id": "s1",
            "errors": [
                {
                    "errorType": "UnauthorizedException",
                    "message": "You are not authorized to make this call.",
                }
            ],
        }
        headers = {"x-api-key": "da2-\xe9\xff", "content-type": "application/json"}
        status, reply = await post(server, publish_body("/default/a", ["1"]), headers=headers)
        assert (status, reply) == (
            401,
            {
                "errors": [
                    {
                        "errorType": "UnauthorizedException",
                        "message": "You are not authorized to make this call.",
                    }
                ]
            },
        )

    rig.run_with_raw_client(scenario)


# ---- WebSocket


def test_websocket_publish_of_nan_is_refused_and_not_delivered() -> None:
    async def scenario(server: AppSyncEventsServer, watcher: rig.RawClient, publisher: rig.RawClient) -> None:
        await subscribed(server, watcher)
        await publisher.publish("p1", "/default/a", ['{"ok":1}', '{"a":NaN}'])
        assert await publisher.recv() == {
            "type": "publish_error",
            "id": "p1",
            "errors": [
                {"errorType": "InvalidInputError", "message": "event 1 is not valid JSON: " + NAN_REFUSED}
            ],
        }
        assert await watcher.silent()  # not even the valid first event: the whole publish is refused

    rig.run_with_subscriber_and_publisher(scenario)


def test_websocket_message_nested_100k_deep_gets_an_error_frame_and_the_connection_stays() -> None:
    async def scenario(server: AppSyncEventsServer, client: rig.RawClient) -> None:
        await client.ws.send(DEEP)
        assert await client.recv() == {
            "type": "error",
            "errors": [
                {
                    "errorType": "BadRequestException",
                    "message": "Message is not valid JSON: JSON nests deeper than 500 levels; flatten it",
                }
            ],
        }
        assert (await client.subscribe("s1", "/default/a"))["type"] == "subscribe_success"

    rig.run_with_raw_client(scenario)


def websocket_publish_frame(size: int) -> str:
    """A publish message of five legal events whose frame is exactly `size` bytes."""

    def frame(events: list[str]) -> str:
        message = {"type": "publish", "id": "p1", "channel": "/default/a", "events": events}
        return json.dumps({**message, "authorization": {"x-api-key": rig.API_KEY}}, separators=(",", ":"))

    share, rest = divmod(size - len(frame(['""'] * 5)), 5)
    text = frame([json_string_of_size(2 + share + (1 if i < rest else 0)) for i in range(5)])
    assert len(text.encode()) == size
    return text


def test_websocket_publish_frame_of_exactly_1_2_mb_is_accepted_and_one_byte_more_is_refused() -> None:
    async def scenario() -> None:
        async with rig.running_server() as server, rig.raw_client(server, max_size=None) as client:
            await client.ws.send(websocket_publish_frame(REQUEST_LIMIT))
            assert (await client.recv())["type"] == "publish_success"
            await client.ws.send(websocket_publish_frame(REQUEST_LIMIT + 1))
            assert await client.recv() == {
                "type": "publish_error",
                "id": "p1",
                "errors": [
                    {
                        "errorType": "InvalidInputError",
                        "message": "publish exceeded 1200000 bytes; send fewer or smaller events",
                    }
                ],
            }

    rig.run(scenario())


def test_websocket_frame_far_over_the_limit_closes_with_1009() -> None:
    async def scenario() -> None:
        async with rig.running_server() as server, rig.raw_client(server, max_size=None) as client:
            await client.ws.send("x" * (3 * REQUEST_LIMIT))
            with pytest.raises(websockets.ConnectionClosed):
                await client.ws.recv()
            assert client.ws.close_code == 1009  # RFC 6455 "message too big"

    rig.run(scenario())


def test_binary_frame_closes_the_connection_with_1003_and_a_reason() -> None:
    async def scenario(server: AppSyncEventsServer, client: rig.RawClient) -> None:
        assert (await client.subscribe("s1", "/default/a"))["type"] == "subscribe_success"
        # Valid JSON in a binary frame: still not treated as text.
        await client.ws.send(json.dumps({"type": "subscribe", "id": "s2", "channel": "/default/b"}).encode())
        with pytest.raises(websockets.ConnectionClosed):
            await client.ws.recv()
        assert client.ws.close_code == 1003
        assert client.ws.close_reason == "binary frames are not supported; send JSON messages as text frames"
        assert len(server.api.index) == 0

    rig.run_with_raw_client(scenario)


def test_duplicate_subscription_id_is_refused_and_the_first_subscription_keeps_working() -> None:
    async def scenario(server: AppSyncEventsServer, client: rig.RawClient, publisher: rig.RawClient) -> None:
        assert await client.subscribe("dup", "/default/a") == {"type": "subscribe_success", "id": "dup"}
        assert await client.subscribe("dup", "/default/b") == {
            "type": "subscribe_error",
            "id": "dup",
            "errors": [{"errorType": "DuplicatedOperationError", "message": "Duplicate subscription id dup"}],
        }
        for channel in ("/default/a", "/default/b"):
            await publisher.publish(channel, channel, [json.dumps(channel)])
            assert (await publisher.recv())["type"] == "publish_success"
        assert await client.recv() == {"type": "data", "id": "dup", "event": '"/default/a"'}
        assert await client.silent()  # once, and nothing from /default/b
        await client.send({"type": "unsubscribe", "id": "dup"})
        assert await client.recv() == {"type": "unsubscribe_success", "id": "dup"}
        assert len(server.api.index) == 0

    rig.run_with_subscriber_and_publisher(scenario)


def test_duplicate_subscription_id_sent_while_the_first_is_being_admitted_is_refused_too() -> None:
    async def slow_guard(event: dict[str, Any]) -> None:
        await asyncio.sleep(0.2)  # the onSubscribe handler is still deciding when the second frame arrives

    config = rig.api_config(
        Namespace("guarded", on_subscribe=HandlerConfig("DIRECT", data_source="SlowGuard")),
        data_sources=(DataSource("SlowGuard", "arn:aws:lambda:us-east-1:000000000000:function:SlowGuard"),),
    )

    async def scenario() -> None:
        invoker = CallableInvoker({"SlowGuard": slow_guard})
        async with rig.running_server(config, invoker) as server, rig.raw_client(server) as client:
            frame = {
                "type": "subscribe",
                "id": "twice",
                "channel": "/guarded/a",
                "authorization": rig.KEY_AUTH,
            }
            await client.send(frame)
            await client.send({**frame, "channel": "/guarded/b"})
            assert await client.recv() == {
                "type": "subscribe_error",
                "id": "twice",
                "errors": [
                    {
                        "errorType": "DuplicatedOperationError",
                        "message": "Duplicate subscription id twice",
                    }
                ],
            }
            assert await client.recv() == {"type": "subscribe_success", "id": "twice"}
            assert [
                s.channel.path
                for s in server.api.index.match(parse_channel("/guarded/a", allow_wildcard=False))
            ] == ["/guarded/a"]
            assert len(server.api.index) == 1

    rig.run(scenario())
