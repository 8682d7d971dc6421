"""The per-connection outbox: direct writes while the socket has room, queueing behind a paused transport,
frame order per connection, and the byte budget that cuts off a client that stopped reading."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import websockets

from tests.support.appsync_server import (
    API_KEY,
    KEY_AUTH,
    InMemorySink,
    RawClient,
    header_subprotocol,
    raw_client,
    run,
    running_server,
)
from vcn.appsync.fanout import Outbox
from vcn.appsync.protocol import AppSyncLimits


def outbox_on(sink: InMemorySink, limit_bytes: int = 1_000_000) -> tuple[Outbox, list[str]]:
    reasons: list[str] = []
    outbox = Outbox("conn-test", sink, limit_bytes=limit_bytes, on_overflow=reasons.append)
    outbox.start()
    return outbox, reasons


async def settle(outbox: Outbox) -> None:
    for _ in range(100):
        if not outbox.queued_bytes:
            return
        await asyncio.sleep(0)


def test_outbox_writes_straight_to_a_ready_transport_in_order() -> None:
    async def scenario() -> tuple[list[bytes], int, int]:
        sink = InMemorySink()
        outbox, _ = outbox_on(sink)
        assert outbox.put(b"1") and outbox.put_all([b"2", b"3"]) == 2
        written = list(sink.written)  # before any task switch: no writer task was needed
        await outbox.close()
        return written, outbox.direct_writes, outbox.queued_writes

    assert run(scenario()) == ([b"1", b"2", b"3"], 3, 0)


def test_frames_put_after_the_transport_resumes_do_not_overtake_queued_ones() -> None:
    async def scenario() -> list[bytes]:
        sink = InMemorySink()
        outbox, _ = outbox_on(sink)
        outbox.put(b"1")
        sink.paused = True
        outbox.put_all([b"2", b"3"])
        await asyncio.sleep(0)  # the writer sends "2" and waits for the transport to drain
        sink.paused = False  # ready again, but "3" is still queued, so "4" must queue behind it
        outbox.put(b"4")
        sink.resume()
        await settle(outbox)
        outbox.put(b"5")  # queue empty again: written directly
        await outbox.close()
        assert outbox.direct_writes == 2 and outbox.queued_writes == 3
        return sink.written

    assert run(scenario()) == [b"1", b"2", b"3", b"4", b"5"]


def test_outbox_overflows_on_queued_bytes_only_and_then_refuses_frames() -> None:
    async def scenario() -> tuple[list[str], int]:
        sink = InMemorySink()
        outbox, reasons = outbox_on(sink, limit_bytes=100)
        for _ in range(50):  # 500 bytes handed to a transport with room: not held by the outbox
            assert outbox.put(b"x" * 10)
        sink.paused = True
        accepted = 0
        while outbox.put(b"y" * 10):
            accepted += 1
        assert outbox.closed and not outbox.put(b"z") and outbox.put_all([b"z"]) == 0
        sink.resume()
        await asyncio.sleep(0)
        await outbox.close()
        assert b"z" not in sink.written
        return reasons, accepted

    reasons, accepted = run(scenario())
    assert accepted == 10  # 10 frames of 10 bytes fill the 100-byte budget; the 11th overflows
    assert len(reasons) == 1 and "not reading fast enough" in reasons[0]


def test_each_connection_receives_events_in_publish_order_through_direct_and_queued_writes() -> None:
    publishes, per_publish = 60, 5
    padding = "p" * 20_000

    async def read_sequence(client: RawClient, expected: int) -> list[int]:
        seen: list[int] = []
        while len(seen) < expected:
            frame = await client.recv(timeout=20)
            if frame["type"] == "data":
                seen.append(json.loads(frame["event"])["n"])
        return seen

    async def scenario() -> None:
        # A budget no reader here exceeds, so only order and the two write paths are under test.
        async with running_server(limits=AppSyncLimits(outbound_queue_bytes=64 * 1024 * 1024)) as server:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port or 0))
            async with websockets.connect(
                server.realtime_url,
                sock=sock,
                max_queue=1,
                subprotocols=["aws-appsync-event-ws", header_subprotocol(KEY_AUTH)],  # type: ignore[list-item]
            ) as lagging_ws:
                lagging = RawClient(lagging_ws)
                assert (await lagging.subscribe("lag", "/default/seq"))["type"] == "subscribe_success"
                # Private access: the test observes which write path the server took for this connection.
                (lagging_connection,) = server._connections
                async with raw_client(server) as prompt, aiohttp.ClientSession() as http:
                    assert (await prompt.subscribe("prompt", "/default/*"))["type"] == "subscribe_success"
                    prompt_reader = asyncio.create_task(read_sequence(prompt, publishes * per_publish))
                    for p in range(publishes):
                        events = [
                            json.dumps({"n": p * per_publish + i, "pad": padding}) for i in range(per_publish)
                        ]
                        body = {"channel": "/default/seq", "events": events}
                        async with http.post(
                            server.http_url, json=body, headers={"x-api-key": API_KEY}
                        ) as response:
                            assert response.status == 200
                    # The lagging client reads only now: its socket filled up and the transport paused.
                    lagging_seen = await read_sequence(lagging, publishes * per_publish)
                    assert await prompt_reader == list(range(publishes * per_publish))
                assert lagging_seen == list(range(publishes * per_publish))
                outbox = lagging_connection.outbox
                assert outbox.direct_writes > 0 and outbox.queued_writes > 0

    run(scenario())
