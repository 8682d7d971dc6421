"""Fan-out: the channel index, slow consumers that must not slow the others, and the TLS listener."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import tempfile
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
import websockets

from tests.support.appsync_server import (
    API_KEY,
    KEY_AUTH,
    RawClient,
    api_config,
    header_subprotocol,
    raw_client,
    run,
    running_server,
    slow_subscriber,
)
from vcn.appsync.channels import parse_channel
from vcn.appsync.fanout import FanOut, Outbox
from vcn.appsync.protocol import AppSyncLimits
from vcn.appsync.server import AppSyncEventsServer
from vcn.appsync.subscriptions import Subscription, SubscriptionIndex


class RecordingOutbox:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def put(self, frame: bytes) -> bool:
        self.frames.append(frame)
        return True

    def put_all(self, frames: list[bytes]) -> int:
        self.frames.extend(frames)
        return len(frames)


def subscribe(index: SubscriptionIndex, sub_id: str, channel: str) -> RecordingOutbox:
    outbox = RecordingOutbox()
    index.add(Subscription(sub_id, parse_channel(channel, allow_wildcard=True), cast(Outbox, outbox)))
    return outbox


def test_index_matches_exact_channel_and_every_wildcard_prefix_above_it() -> None:
    index = SubscriptionIndex()
    for sub_id, channel in [
        ("e", "/ns/a/b"),
        ("w1", "/ns/*"),
        ("w2", "/ns/a/*"),
        ("w3", "/ns/a/b/*"),
        ("o", "/x/*"),
    ]:
        subscribe(index, sub_id, channel)
    matched = {s.id for s in index.match(parse_channel("/ns/a/b", allow_wildcard=False))}
    assert matched == {"e", "w1", "w2"}
    assert {s.id for s in index.match(parse_channel("/ns/a/b/c/d", allow_wildcard=False))} == {
        "w1",
        "w2",
        "w3",
    }
    assert list(index.match(parse_channel("/ns", allow_wildcard=False))) == []


def test_index_forgets_removed_subscriptions() -> None:
    index = SubscriptionIndex()
    channel = parse_channel("/ns/a", allow_wildcard=False)
    subscription = Subscription("s", channel, cast(Outbox, RecordingOutbox()))
    index.add(subscription)
    index.remove(subscription)
    assert list(index.match(channel)) == [] and len(index) == 0


def test_index_reaches_subscriptions_in_the_order_they_were_made_on_every_channel() -> None:
    index = SubscriptionIndex()
    made = [f"s{n}" for n in range(200)]
    for sub_id in made:  # each "connection" subscribes to both channels, in the same order
        subscribe(index, f"{sub_id}-a", "/ns/a")
        subscribe(index, f"{sub_id}-b", "/ns/b")
    removed = Subscription(
        "gone", parse_channel("/ns/a", allow_wildcard=False), cast(Outbox, RecordingOutbox())
    )
    index.add(removed)
    index.remove(removed)
    for channel, suffix in (("/ns/a", "-a"), ("/ns/b", "-b")):
        reached = [s.id for s in index.match(parse_channel(channel, allow_wildcard=False))]
        assert reached == [sub_id + suffix for sub_id in made], channel


def test_fan_out_builds_one_data_frame_per_event_per_subscription() -> None:
    index = SubscriptionIndex()
    first, second = subscribe(index, "a", "/ns/*"), subscribe(index, "b", "/ns/room")
    assert FanOut(index).broadcast(parse_channel("/ns/room", allow_wildcard=False), ['{"x":"y"}', "1"]) == 4
    assert [json.loads(f) for f in first.frames] == [
        {"type": "data", "id": "a", "event": '{"x":"y"}'},
        {"type": "data", "id": "a", "event": "1"},
    ]
    assert [json.loads(f)["id"] for f in second.frames] == ["b", "b"]


def test_slow_consumer_is_disconnected_while_the_others_receive_everything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = json.dumps("p" * 20_000)
    # Room for five publishes (5 x 20 KB each) per reader, so only a client that stopped reading overflows.
    limits = AppSyncLimits(outbound_queue_bytes=512 * 1024)

    received = [0, 0, 0]

    async def read_all(client: RawClient, index: int, expected: int) -> int:
        while received[index] < expected:
            frame = await client.recv(timeout=20)
            received[index] += frame["type"] == "data"
        return received[index]

    async def readers_within(lag_events: int, published_events: int) -> None:
        # An active reader may fall behind a publisher that shares its event loop on a busy machine; the
        # test is about a client that stopped reading, so the publisher waits for readers a little behind.
        for _ in range(1000):
            if min(received) >= published_events - lag_events:
                return
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        async with running_server(limits=limits) as server:
            slow = await slow_subscriber(server, "slow", "/default/feed")
            # Private access: to check the slow client was cut off after its frames went out directly.
            (slow_connection,) = server._connections
            async with raw_client(server) as a, raw_client(server) as b, raw_client(server) as c:
                fast = [a, b, c]
                for n, client in enumerate(fast):
                    assert (await client.subscribe(f"fast{n}", "/default/*"))["type"] == "subscribe_success"
                publishes = 80
                readers = [
                    asyncio.create_task(read_all(client, n, publishes * 5)) for n, client in enumerate(fast)
                ]
                async with aiohttp.ClientSession() as http:
                    for sent in range(publishes):
                        await readers_within(lag_events=10, published_events=sent * 5)
                        body = {"channel": "/default/feed", "events": [event] * 5}
                        async with http.post(
                            server.http_url, json=body, headers={"x-api-key": API_KEY}
                        ) as response:
                            assert response.status == 200
                assert await asyncio.gather(*readers) == [publishes * 5] * 3
                for _ in range(200):
                    if server.connection_count == 3:
                        break
                    await asyncio.sleep(0.02)
                assert server.connection_count == 3
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await slow.recv()
            assert slow_connection.outbox.direct_writes > 0 and slow_connection.outbox.closed

    with caplog.at_level(logging.WARNING, logger="vcn.appsync"):
        run(scenario())
    assert any("not reading fast enough" in r.getMessage() for r in caplog.records)


def test_tls_listener_serves_websocket_and_http_with_the_generated_certificate() -> None:
    async def scenario() -> None:
        async with running_server(api_config(), tls=True) as server:
            assert server.wss_url is not None and server.https_url is not None and server.tls_cert_path
            context = ssl.create_default_context(cafile=str(server.tls_cert_path))
            async with websockets.connect(
                server.wss_url,
                ssl=context,
                subprotocols=["aws-appsync-event-ws", header_subprotocol(KEY_AUTH)],  # type: ignore[list-item]
            ) as ws:
                client = RawClient(ws)
                assert (await client.subscribe("s1", "/default/secure"))["type"] == "subscribe_success"
                async with aiohttp.ClientSession() as http:
                    body = {"channel": "/default/secure", "events": ['"over tls"']}
                    async with http.post(
                        server.https_url, json=body, headers={"x-api-key": API_KEY}, ssl=context
                    ) as response:
                        assert response.status == 200
                assert (await client.recv())["event"] == '"over tls"'

    run(scenario())


def test_tls_certificate_is_generated_once_and_reused() -> None:
    async def start_and_read(state: Path) -> bytes:
        server = AppSyncEventsServer(api_config(), None, state_dir=state)
        await server.start(tls_port=0)
        try:
            assert server.tls_cert_path is not None
            return server.tls_cert_path.read_bytes()
        finally:
            await server.stop()

    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as state:
            first = await start_and_read(Path(state))
            assert await start_and_read(Path(state)) == first
            assert (Path(state) / "tls" / "server-key.pem").stat().st_mode & 0o077 == 0

    run(scenario())


def test_plain_server_has_no_tls_urls() -> None:
    async def scenario() -> None:
        async with running_server() as server:
            assert server.wss_url is None and server.https_url is None and server.tls_cert_path is None
            assert server.http_url.startswith("http://127.0.0.1:") and server.http_url.endswith("/event")
            assert server.realtime_url == server.http_url.replace("http://", "ws://") + "/realtime"

    run(scenario())


def test_stop_closes_open_connections() -> None:
    async def scenario() -> Any:
        async with running_server() as server:
            client_cm = raw_client(server)
            client = await client_cm.__aenter__()
            await client.subscribe("s1", "/default/a")
        with pytest.raises(websockets.ConnectionClosed):
            await client.recv(timeout=5)
        await client_cm.__aexit__(None, None, None)
        return client.ws.close_code

    assert run(scenario()) == 1001
