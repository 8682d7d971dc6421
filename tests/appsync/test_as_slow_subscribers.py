"""The server-wide cap on memory held for slow subscribers: the one behind the longest goes first, with a
close frame saying why, and every drop is counted in `GET /_vcn/metrics`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import websockets

from tests.support.appsync_server import (
    API_KEY,
    InMemorySink,
    raw_client,
    run,
    running_server,
    slow_subscriber,
)
from vcn.appsync.fanout import OutboundBudget, Outbox
from vcn.appsync.protocol import AppSyncLimits
from vcn.appsync.server import AppSyncEventsServer

# ---- the budget on its own


@dataclass
class PausedSubscribers:
    """Outboxes sharing one budget, each writing to a sink that does not read; why each one was dropped."""

    budget: OutboundBudget
    reasons: dict[str, str] = field(default_factory=dict)
    outboxes: list[Outbox] = field(default_factory=list)

    def add(self, name: str) -> tuple[Outbox, InMemorySink]:
        sink = InMemorySink()
        sink.pause()
        outbox = Outbox(
            name,
            sink,
            limit_bytes=1_000_000,
            on_overflow=lambda reason: self.reasons.__setitem__(name, reason),
            budget=self.budget,
        )
        outbox.start()
        self.outboxes.append(outbox)
        return outbox, sink


@asynccontextmanager
async def paused_subscribers(limit: int) -> AsyncIterator[PausedSubscribers]:
    """Subscribers under a total cap of `limit` bytes, every outbox closed on the way out."""
    subscribers = PausedSubscribers(OutboundBudget(limit=limit))
    try:
        yield subscribers
    finally:
        for outbox in subscribers.outboxes:
            await outbox.close()


async def queue(outbox: Outbox, count: int, size: int = 10) -> None:
    for _ in range(count):
        assert outbox.put(b"x" * size)
        await asyncio.sleep(0)  # the writer takes the first frame and blocks on the paused sink


def test_over_the_total_cap_the_subscriber_behind_the_longest_is_dropped_first() -> None:
    async def scenario() -> None:
        async with paused_subscribers(limit=100) as line:
            budget, reasons = line.budget, line.reasons
            first, _ = line.add("first")
            second, _ = line.add("second")
            third, _ = line.add("third")
            await queue(first, 5)  # one frame held by the writer, four queued: 40 bytes
            await queue(second, 5)
            assert budget.queued == 80 and reasons == {}
            await queue(third, 4)  # 30 more: 110 over a cap of 100
            assert list(reasons) == ["first"]
            assert reasons["first"].startswith(
                "slow subscribers hold 110 bytes in all, over the server's cap of 100;"
                " this connection has been behind the longest (40 bytes waiting for"
            )
            assert first.closed and not second.closed and not third.closed
            assert budget.queued == 70
            assert budget.snapshot() == {
                "SlowSubscriberQueuedBytes": 70,
                "SlowSubscriberQueuedBytesCap": 100,
                "SlowSubscribersBehind": 2,
                "SlowSubscribersDroppedOverConnectionCap": 0,
                "SlowSubscribersDroppedOverTotalCap": 1,
                "FramesDiscardedWithSlowSubscribers": 4,
            }
        assert budget.queued == 0 and budget.snapshot()["SlowSubscribersBehind"] == 0

    run(scenario())


def test_a_subscriber_that_caught_up_goes_to_the_back_of_the_line() -> None:
    async def scenario() -> None:
        async with paused_subscribers(limit=100) as line:
            first, first_sink = line.add("first")
            second, _ = line.add("second")
            await queue(first, 3)
            await queue(second, 3)
            first_sink.resume()  # the first client reads again and empties its queue
            for _ in range(20):
                await asyncio.sleep(0)
            assert first.queued_bytes == 0
            first_sink.pause()
            await queue(first, 8)  # behind again, now after the second: 70 + 20 = 90 bytes
            await queue(second, 1)  # 100: at the cap, not over it
            assert line.reasons == {}
            assert not second.put(b"x" * 10)  # 110: the second has been behind the longest and goes
            assert list(line.reasons) == ["second"]
            assert not first.closed

    run(scenario())


def test_the_cap_may_drop_the_very_subscriber_that_is_being_written() -> None:
    async def scenario() -> None:
        async with paused_subscribers(limit=25) as line:
            only, _ = line.add("only")
            await queue(only, 3)  # 20 bytes queued
            assert not only.put(b"x" * 10)  # 30 > 25 and it is the only one behind: dropped, frame refused
            assert list(line.reasons) == ["only"] and only.closed and line.budget.queued == 0

    run(scenario())


def test_per_connection_overflow_is_counted_and_gives_its_bytes_back() -> None:
    async def scenario() -> None:
        budget = OutboundBudget(limit=10_000)
        reasons: list[str] = []
        sink = InMemorySink()
        sink.pause()
        outbox = Outbox("small", sink, limit_bytes=50, on_overflow=reasons.append, budget=budget)
        outbox.start()
        await asyncio.sleep(0)
        accepted = 0
        while outbox.put(b"y" * 10):
            accepted += 1
            await asyncio.sleep(0)
        assert len(reasons) == 1 and "not reading fast enough" in reasons[0]
        assert budget.queued == 0
        assert budget.snapshot()["SlowSubscribersDroppedOverConnectionCap"] == 1
        assert budget.snapshot()["SlowSubscribersDroppedOverTotalCap"] == 0
        await outbox.close()

    run(scenario())


def test_frames_written_straight_to_the_socket_never_count() -> None:
    async def scenario() -> None:
        budget = OutboundBudget(limit=10)
        outbox = Outbox("fast", InMemorySink(), limit_bytes=10, on_overflow=pytest.fail, budget=budget)
        outbox.start()
        for _ in range(100):
            assert outbox.put(b"z" * 100)
        assert budget.queued == 0 and outbox.direct_writes == 100
        await outbox.close()

    run(scenario())


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="the outbound budget must be a positive number of bytes"):
        OutboundBudget(limit=0)


# ---- on a running server


EVENT = json.dumps("p" * 20_000)


async def metrics(http: aiohttp.ClientSession, server: AppSyncEventsServer) -> dict[str, Any]:
    async with http.get(f"http://127.0.0.1:{server.port}/_vcn/metrics") as response:
        assert response.status == 200
        document: dict[str, Any] = await response.json()
        return document


async def publish_until(
    http: aiohttp.ClientSession, server: AppSyncEventsServer, channel: str, done: Any, limit: int = 400
) -> int:
    """Publish 5 x 20 KB to `channel` until `done(metrics)`; the number of publishes it took."""
    for count in range(1, limit + 1):
        body = {"channel": channel, "events": [EVENT] * 5}
        async with http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response:
            assert response.status == 200
        if done(await metrics(http, server)):
            return count
    raise AssertionError(
        f"never reached the condition after {limit} publishes: {await metrics(http, server)}"
    )


def test_the_oldest_slow_subscriber_is_closed_with_a_reason_and_counted_while_the_newer_one_stays() -> None:
    limits = AppSyncLimits(outbound_total_bytes=1024 * 1024)  # the per-connection cap stays at 4 MiB

    async def scenario() -> None:
        async with running_server(limits=limits) as server, aiohttp.ClientSession() as http:
            older = await slow_subscriber(server, "older", "/default/x", max_size=None)
            newer = await slow_subscriber(server, "newer", "/default/y", max_size=None)
            await publish_until(
                http, server, "/default/x", lambda m: m["SlowSubscriberQueuedBytes"] > 600_000
            )
            to_newer = await publish_until(
                http, server, "/default/y", lambda m: m["SlowSubscribersDroppedOverTotalCap"] == 1
            )
            after = await metrics(http, server)
            assert after["SlowSubscribersDroppedOverTotalCap"] == 1
            assert after["SlowSubscribersDroppedOverConnectionCap"] == 0
            assert after["FramesDiscardedWithSlowSubscribers"] > 0
            assert after["ActiveConnections"] == 1 and after["SlowSubscribersBehind"] == 1
            assert after["SlowSubscriberQueuedBytes"] <= 1024 * 1024
            assert after["SlowSubscriberQueuedBytesCap"] == 1024 * 1024

            # The older client reads again: what its socket held, then a close frame saying why.
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(older.recv(), 10)
            assert older.close_code == 1008
            assert older.close_reason == "slow subscriber dropped: it did not read its events"

            # The newer one lost nothing: every event published to it arrives once it reads.
            received = 0
            while received < to_newer * 5:
                frame = json.loads(await asyncio.wait_for(newer.recv(), 10))
                received += frame["type"] == "data"
            assert received == to_newer * 5
            await newer.close()

            # The server goes on serving new clients.
            async with raw_client(server) as fresh:
                assert (await fresh.subscribe("fresh", "/default/z"))["type"] == "subscribe_success"

    run(scenario())
