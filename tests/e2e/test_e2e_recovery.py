"""End to end on `vcn local up`: a subscriber cut off from the network misses nothing.

The Python client subscribes with recovery through a TCP proxy; the proxy cuts it off; 50 notifications are
put with the AWS CLI (EventBridge -> API destination -> AppSync -> the recorder -> DynamoDB); the proxy lets
it back; it must receive exactly those 50, in the history's order, then live ones, each eventId once.

It runs on the session's cloud, whose own DynamoDB holds the history, as `vcn local up` runs it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from appsync_events_client import (
    EventsClient,
    HistoryQuery,
    HttpHistorySource,
    ReconnectPolicy,
    Since,
    TokenAuth,
    subscribe_with_recovery,
)

from tests.support.event_api import eventually
from tests.support.history_cloud import put_validations
from tests.support.local_cloud import RunningCloud
from tests.support.tcp_proxy import tcp_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
USER = "analyst-de"
MISSED = 50
FAST_RECONNECT = ReconnectPolicy(initial_delay=0.1, max_delay=0.5)


@pytest.fixture
def cloud(local_cloud: RunningCloud) -> RunningCloud:
    """The session's local cloud; its own DynamoDB serves the history (as `vcn local up` runs it)."""
    assert local_cloud.info.get("dynamodb"), "local.json names no DynamoDB endpoint"
    return local_cloud


async def served(
    history: HttpHistorySource, channel: str, event_ids: list[str], timeout: float = 60
) -> list[str]:
    """The channel's history, in order, once it serves every one of `event_ids`."""
    deadline = time.monotonic() + timeout
    while True:
        order: list[str] = []
        query = HistoryQuery(channel)
        while True:
            page = await history.read(query)
            order += [item["eventId"] for item in page.items]
            if page.next_cursor is None:
                break
            query = HistoryQuery(channel, after=page.next_cursor)
        if set(event_ids) <= set(order):
            return [event_id for event_id in order if event_id in set(event_ids)]
        assert time.monotonic() < deadline, f"{len(set(event_ids) - set(order))} never reached the history"
        await asyncio.sleep(0.5)


@pytest.mark.timeout(300)
def test_a_subscriber_cut_off_receives_exactly_the_fifty_it_missed_in_order_then_live_ones(
    cloud: RunningCloud, tmp_path: Path
) -> None:
    model_line = f"R{uuid.uuid4().hex[:6].upper()}"  # a channel of this test's own
    channel = f"/markets/DE/{model_line}"
    token = cloud.token(USER)

    def put(count: int) -> list[str]:
        return put_validations(cloud, tmp_path, count, market="DE", model_line=model_line, user=USER)

    async def scenario() -> None:
        realtime = cloud.info["appsync"]["realtime"]
        with tcp_proxy(realtime) as proxy:
            client = EventsClient(
                cloud.info["appsync"]["http"],
                proxy.url_for(realtime),
                TokenAuth(token),
                reconnect=FAST_RECONNECT,
            )
            async with client.connect() as connection, HttpHistorySource(cloud.info["api"], token) as history:
                events = await subscribe_with_recovery(connection, channel, history, Since.now())
                first = await asyncio.to_thread(put, 1)
                assert (await events.get(30))["eventId"] == first[0]

                proxy.cut()
                await eventually(lambda: not connection.connected, what="the cut to be noticed")
                missed = await asyncio.to_thread(put, MISSED)
                in_history = await served(history, channel, missed)  # recorded while the subscriber is away
                assert connection.reconnects == 0
                proxy.restore()

                received = [await events.get(30) for _ in range(MISSED)]
                assert [event["eventId"] for event in received] == in_history
                assert sorted(in_history) == sorted(missed)
                assert connection.reconnects == 1

                live = await asyncio.to_thread(put, 3)
                after = [await events.get(30) for _ in range(3)]
                assert sorted(event["eventId"] for event in after) == sorted(live)
                with pytest.raises(TimeoutError):  # the settle read brings nothing twice
                    extra: Any = await events.get(4)
                    raise AssertionError(f"a duplicate or stray event: {extra}")
                delivered = [first[0]] + [e["eventId"] for e in received + after]
                assert len(delivered) == len(set(delivered)) == 1 + MISSED + 3
                # the settle read may deliver the three live ones from the history, before their live copies
                assert events.reports[-1].reason == "reconnect"
                assert MISSED <= events.reports[-1].recovered <= MISSED + 3

    asyncio.run(asyncio.wait_for(scenario(), 280))
