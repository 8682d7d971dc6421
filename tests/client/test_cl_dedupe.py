"""A subscription deduplicating by a key: an event published again (an EventBridge retry, a redrive, an
archive replay) reaches the subscriber once; events without the key always pass; memory is bounded."""

from __future__ import annotations

import pytest
from appsync_events_client import Deduplicator

from tests.support.event_api import LocalEventApi


def test_an_event_published_twice_is_handed_over_once(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            client = local_api.client(server)
            async with client.connect() as conn:
                deduped = await conn.subscribe("/ns/orders", dedupe_by="eventId")
                raw = await conn.subscribe("/ns/orders")
                await client.publish_http("/ns/orders", [{"eventId": "e-1", "n": 1}])
                await client.publish_http(
                    "/ns/orders", [{"eventId": "e-1", "n": 1}, {"eventId": "e-2", "n": 2}]
                )
                await client.publish_http("/ns/orders", [{"n": 3}, {"n": 3}, "text"])
                assert [await raw.get(5) for _ in range(6)][:3] == [
                    {"eventId": "e-1", "n": 1},
                    {"eventId": "e-1", "n": 1},
                    {"eventId": "e-2", "n": 2},
                ]
                received = [await deduped.get(5) for _ in range(5)]
                assert received == [
                    {"eventId": "e-1", "n": 1},
                    {"eventId": "e-2", "n": 2},
                    {"n": 3},
                    {"n": 3},
                    "text",
                ]
                assert deduped.duplicates == 1 and raw.duplicates == 0
                assert deduped.pending_events == 0

    local_api.run(scenario())


def test_a_key_function_and_a_bounded_memory() -> None:
    by_order = Deduplicator(lambda event: event["order"], memory=2)
    # 1 is seen again just before 3 arrives, so 2 is the least recently seen and makes room for 3.
    assert [by_order.first_time({"order": n}) for n in (1, 2, 1, 3, 1, 2)] == [
        True,
        True,
        False,
        True,
        False,
        True,
    ]
    assert by_order.dropped == 2
    with pytest.raises(ValueError):
        Deduplicator("eventId", memory=0)
