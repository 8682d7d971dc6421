"""End to end: AppSync answers 500 for a while -> retries -> dead-letter queue -> `vcn dlq redrive` delivers.

The fault is real HTTP: the supply rule's target is re-pointed (with the ordinary EventBridge API, as on AWS)
at an API destination whose endpoint is a proxy in front of the local AppSync Events API. The proxy
answers 500 until the test makes it healthy, then forwards requests unchanged.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.support.flaky_appsync import FlakyAppSync, route_supply_rule_through, supply_dead_letters
from tests.support.local_cloud import ROOT, RawSubscriber, RunningCloud
from vcn.eventbridge.dlq import DeadLetterStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EVENTS = 3


def _supply_entries() -> list[dict[str, Any]]:
    template = json.loads((ROOT / "events" / "put-events" / "supply-constraint-raised.json").read_text())[0]
    detail = json.loads(template["Detail"])
    assert detail["plant"] == "ZWI"
    return [
        {**template, "Detail": json.dumps({**detail, "constraintId": f"sc-e2e-dlq-{index}"})}
        for index in range(EVENTS)
    ]


def test_failed_deliveries_are_dead_lettered_then_redriven_exactly_once(
    fast_retry_cloud: RunningCloud,
) -> None:
    cloud = fast_retry_cloud
    store = DeadLetterStore(cloud.state_dir)
    token = cloud.token("supply-lead")

    async def scenario() -> None:
        proxy = FlakyAppSync(cloud.info["appsync"]["http"])
        await proxy.start()
        try:
            await asyncio.to_thread(route_supply_rule_through, cloud, proxy.url)
            async with RawSubscriber(cloud.info["appsync"]["realtime"], token) as subscriber:
                reply = await subscriber.subscribe("/plants/ZWI")
                assert reply["type"] == "subscribe_success", reply
                events = cloud.events_client()
                sent = await asyncio.to_thread(events.put_events, Entries=_supply_entries())
                assert sent["FailedEntryCount"] == 0
                put_ids = {entry["EventId"] for entry in sent["Entries"]}

                constraint_ids = {f"sc-e2e-dlq-{i}" for i in range(EVENTS)}
                dead = await supply_dead_letters(cloud, store, constraint_ids)
                event_ids = {message.event["id"] for message in dead}
                assert len(event_ids) == EVENTS and not event_ids & put_ids
                assert all(m.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts" for m in dead)
                assert proxy.requests == EVENTS * (1 + 8)  # first attempt + the template's 8 retries, each
                assert await subscriber.notifications(1, timeout=0.5) == []

                listed = await asyncio.to_thread(cloud.vcn, "dlq", "list")
                assert listed.returncode == 0 and all(m.message_id in listed.stdout for m in dead), listed

                proxy.healthy = True
                redriven = await asyncio.to_thread(cloud.vcn, "dlq", "redrive", "--wait")
                assert redriven.returncode == 0, redriven.stderr
                report = json.loads(redriven.stdout)
                assert (
                    sorted(report["Redriven"]) == sorted(m.message_id for m in dead) and not report["Failed"]
                )

                received = await subscriber.notifications(EVENTS, timeout=20)
                received += await subscriber.notifications(1, timeout=2)  # a duplicate would show up here
                assert sorted(n["eventId"] for n in received) == sorted(event_ids)
                assert {n["constraintId"] for n in received} == constraint_ids
                assert store.list() == []
                again = json.loads((await asyncio.to_thread(cloud.vcn, "dlq", "redrive", "--wait")).stdout)
                assert again["Redriven"] == []
        finally:
            await proxy.stop()

    asyncio.run(scenario())
