"""Reconnect with backoff and re-subscription, the keep-alive watchdog, and giving up."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from appsync_events_client import ConnectionLost, EventsConnection, ReconnectPolicy, SubscribeError

from tests.support.event_api import LocalEventApi
from vcn.appsync.config import Namespace


def test_subscription_keeps_yielding_after_the_server_restarts_on_the_same_port(
    local_api: LocalEventApi,
) -> None:
    async def scenario() -> None:
        async with local_api.server() as first:
            port = first.port
            client = local_api.client(first)
            conn = client.connect()
            await conn.open()
            exact = await conn.subscribe("/ns/restart")
            wildcard = await conn.subscribe("/ns/*")
            await client.publish_http("/ns/restart", ["before"])
            assert await exact.get(5) == "before" and await wildcard.get(5) == "before"
        # the first server is gone; a new one takes over the same port
        assert port is not None
        async with local_api.server(port=port) as second:
            await local_api.eventually(lambda: conn.reconnects >= 1 and conn.connected, what="reconnect")
            assert second.connection_count == 1
            await client.publish_http("/ns/restart", ["after"])
            await conn.publish("/ns/restart", ["over the new socket"])
            assert [await exact.get(5), await exact.get(5)] == ["after", "over the new socket"]
            assert [await wildcard.get(5), await wildcard.get(5)] == ["after", "over the new socket"]
            await conn.close()

    local_api.run(scenario())


def test_publish_waits_for_the_reconnect_instead_of_failing(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        port, conn, [sub] = await local_api.subscribed_then_stopped("/ns/wait")
        await local_api.eventually(lambda: not conn.connected, what="disconnect")
        publishing = asyncio.ensure_future(conn.publish("/ns/wait", ["queued"]))
        await asyncio.sleep(0.1)
        assert not publishing.done()
        async with local_api.server(port=port):
            assert (await publishing).ok
            assert await sub.get(5) == "queued"
            await conn.close()

    local_api.run(scenario())


def test_keepalive_watchdog_reconnects_a_silent_connection(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        sub = await conn.subscribe("/ns/silent")
        await local_api.eventually(lambda: conn.reconnects >= 1 and conn.connected, what="reconnect")
        await conn.publish("/ns/silent", ["still subscribed"])
        assert await sub.get(5) == "still subscribed"

    # the server stays up but sends no `ka` within the client's 0.3 s keep-alive timeout
    local_api.run_connected(scenario, keepalive_seconds=30, keepalive_timeout=0.3)


def test_keepalive_frames_keep_the_connection(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        await conn.subscribe("/ns/chatty")
        await asyncio.sleep(1.5)  # three keep-alive timeouts' worth of `ka` frames
        assert conn.reconnects == 0 and conn.connected

    local_api.run_connected(scenario, keepalive_seconds=0.05, keepalive_timeout=0.5)


def test_subscription_raises_once_reconnect_attempts_are_exhausted(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        policy = ReconnectPolicy(initial_delay=0.02, max_delay=0.05, max_attempts=2)
        _, conn, [sub] = await local_api.subscribed_then_stopped("/ns/gone", reconnect=policy)
        with pytest.raises(ConnectionLost) as caught:
            await sub.get(10)
        assert caught.value.error_type == "ReconnectFailed"
        with pytest.raises(ConnectionLost):
            await conn.publish("/ns/gone", [1])
        await conn.close()

    local_api.run(scenario())


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=8.0, multiplier=2.0)
    for attempt, ceiling in enumerate([1.0, 2.0, 4.0, 8.0, 8.0]):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered, so clients do not reconnect in lockstep


def test_backoff_stays_at_the_cap_however_long_the_outage_lasts() -> None:
    """A minute of outage at 50 ms retries is over a thousand attempts: multiplier**attempt overflowed."""
    policy = ReconnectPolicy(initial_delay=0.05, max_delay=0.2)
    assert all(0.1 <= policy.delay(attempt) <= 0.2 for attempt in (10, 1100, 100_000))


def test_a_subscription_denied_on_resubscribe_ends_with_the_error(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        port, conn, [kept, dropped] = await local_api.subscribed_then_stopped("/other/kept", "/ns/dropped")
        # the restarted API no longer has the `ns` namespace
        local_api.config = dataclasses.replace(local_api.config, namespaces=(Namespace("other"),))
        async with local_api.server(port=port):
            with pytest.raises(SubscribeError) as caught:
                await dropped.get(5)
            assert caught.value.error_type == "UnauthorizedException"
            await conn.wait_connected(5)
            await conn.publish("/other/kept", ["kept"])
            assert await kept.get(5) == "kept"
            assert [s.channel for s in conn.subscriptions] == ["/other/kept"]
            await conn.close()

    local_api.run(scenario())
