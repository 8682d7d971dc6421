"""End to end, the runbook after a long AppSync outage: replay from the archive.

`vcn local up` runs the project's template (its VehicleConfigArchive records the bus). AppSync goes down (a
proxy answering 500) for longer than the retry policy lasts: the notifications land in the dead-letter
queue, and the archive has their events. Once AppSync is back, `aws events start-replay` (the real AWS CLI)
sends the window back through the bus. Every notification arrives; one delivered before the outage arrives
again at AppSync (a raw subscriber sees it twice, with the same eventId), and the Python client, which
deduplicates by eventId, shows each exactly once.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from appsync_events_client import EventsClient, Subscription, TokenAuth

from tests.support.flaky_appsync import FlakyAppSync, route_supply_rule_through, supply_dead_letters
from tests.support.local_cloud import ROOT, RawSubscriber, RunningCloud
from vcn.eventbridge.dlq import DeadLetterStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ARCHIVE = "VehicleConfigArchive"
OUTAGE_EVENTS = 3


def supply_events(*names: str) -> list[dict[str, Any]]:
    template = json.loads((ROOT / "events" / "put-events" / "supply-constraint-raised.json").read_text())[0]
    detail = json.loads(template["Detail"])
    assert detail["plant"] == "ZWI"
    return [{**template, "Detail": json.dumps({**detail, "constraintId": name})} for name in names]


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def drain(subscription: Subscription, seconds: float) -> list[Any]:
    """What arrives within `seconds`."""
    received = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            received.append(await subscription.get(left))
        except TimeoutError:
            break
    return received


def test_a_replay_after_an_outage_delivers_every_notification_once(fast_retry_cloud: RunningCloud) -> None:
    cloud = fast_retry_cloud
    store = DeadLetterStore(cloud.state_dir)
    token = cloud.token("supply-lead")
    appsync = cloud.info["appsync"]
    bus_arn = cloud.aws_events("describe-event-bus", "--name", cloud.info["eventBusName"])["Arn"]

    async def put(*names: str) -> list[str]:
        file = cloud.state_dir.parent / f"{names[0]}.json"
        file.write_text(json.dumps(supply_events(*names)))
        reply = await asyncio.to_thread(cloud.aws_events, "put-events", "--entries", f"file://{file}")
        assert reply["FailedEntryCount"] == 0
        return [entry["EventId"] for entry in reply["Entries"]]

    async def scenario() -> None:
        proxy = FlakyAppSync(appsync["http"])
        await proxy.start()
        proxy.healthy = True
        client = EventsClient(appsync["http"], appsync["realtime"], TokenAuth(token))
        try:
            await asyncio.to_thread(route_supply_rule_through, cloud, proxy.url)
            async with client.connect() as connection, RawSubscriber(appsync["realtime"], token) as raw:
                deduplicated = await connection.subscribe("/plants/ZWI", dedupe_by="eventId")
                assert (await raw.subscribe("/plants/ZWI"))["type"] == "subscribe_success"
                window_start = time.time() - 1

                # Notifications come from the supply ingress's checked events (ids of their own); the
                # archive records those, not what the supply system put.
                put_ids = await put("sc-before-outage")
                [first] = await raw.notifications(1, timeout=10)
                assert first["constraintId"] == "sc-before-outage" and first["eventId"] not in put_ids
                before = first["eventId"]
                assert [n["eventId"] for n in await drain(deduplicated, 2)] == [before]

                proxy.healthy = False  # AppSync is down for longer than 8 retries last
                await put(*(f"sc-outage-{i}" for i in range(OUTAGE_EVENTS)))
                outage = {f"sc-outage-{i}" for i in range(OUTAGE_EVENTS)}
                dead = await supply_dead_letters(cloud, store, outage)
                during = [m.event["id"] for m in dead]
                assert await raw.notifications(1, timeout=0.5) == []
                archive = await asyncio.to_thread(
                    cloud.aws_events, "describe-archive", "--archive-name", ARCHIVE
                )
                assert archive["EventCount"] == 1 + OUTAGE_EVENTS

                proxy.healthy = True  # AppSync is back: replay the window from the archive
                started = await asyncio.to_thread(
                    cloud.aws_events, "start-replay",
                    "--replay-name", "after-appsync-outage",
                    "--event-source-arn", archive["ArchiveArn"],
                    "--event-start-time", iso(window_start),
                    "--event-end-time", iso(time.time() + 2),
                    "--destination", json.dumps({"Arn": bus_arn}),
                )  # fmt: skip
                assert started["State"] == "STARTING"
                for _ in range(200):
                    replay = await asyncio.to_thread(
                        cloud.aws_events, "describe-replay", "--replay-name", "after-appsync-outage"
                    )
                    if replay["State"] != "STARTING" and replay["State"] != "RUNNING":
                        break
                    await asyncio.sleep(0.1)
                assert replay["State"] == "COMPLETED", replay

                replayed = await raw.notifications(1 + OUTAGE_EVENTS, timeout=20)
                replayed += await raw.notifications(1, timeout=2)  # anything more would show here
                assert sorted(n["eventId"] for n in replayed) == sorted([before, *during])
                shown = await drain(deduplicated, 3)
                assert sorted(n["eventId"] for n in shown) == sorted(during)  # `before` was shown already
                assert deduplicated.duplicates == 1
                assert {n["constraintId"] for n in shown} == {f"sc-outage-{i}" for i in range(OUTAGE_EVENTS)}
                assert (
                    await asyncio.to_thread(cloud.aws_events, "describe-archive", "--archive-name", ARCHIVE)
                )["EventCount"] == 1 + OUTAGE_EVENTS  # replayed events are not archived again
        finally:
            await proxy.stop()

    asyncio.run(scenario())
