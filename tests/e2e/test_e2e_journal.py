"""End to end: the API destination is down, 10 events are put with the real AWS CLI, the whole `vcn local up`
process group is killed with SIGKILL, the cloud starts again on the same state folder with its target
reachable, and every one of the 10 events reaches a subscriber, once.

The outage is real HTTP: the supply rule's target is re-pointed (with the ordinary EventBridge API) at an
endpoint that answers 503 with `Retry-After: 30`, so each delivery's next attempt is planned 30 s after its
first. The restart replays the template, whose target is the local AppSync API, so the resumed deliveries
find their target reachable; the planned delay leaves time to subscribe before they resume.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.flaky_appsync import EventEndpoint, route_supply_rule_through
from tests.support.local_cloud import AWS, ROOT, RawSubscriber, RunningCloud, start_cloud, stop_cloud
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.journal import read_pending

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EVENTS = 10
RETRY_AFTER_SECONDS = 30  # long enough to restart and subscribe, even on a loaded machine


class UnavailableTarget(EventEndpoint):
    """An endpoint that answers every request 503 with Retry-After."""

    async def handle(self, request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, text="down")


def put_with_the_aws_cli(cloud: RunningCloud, folder: Path) -> list[str]:
    template = json.loads((ROOT / "events" / "put-events" / "supply-constraint-raised.json").read_text())[0]
    detail = json.loads(template["Detail"])
    entries = [
        {**template, "Detail": json.dumps({**detail, "constraintId": f"sc-e2e-kill-{index}"})}
        for index in range(EVENTS)
    ]
    (folder / "entries.json").write_text(json.dumps(entries))
    result = subprocess.run(
        [AWS, "events", "put-events", "--entries", "file://entries.json", "--endpoint-url",
         cloud.info["eventbridge"], "--output", "json"],
        capture_output=True, text=True, cwd=folder, env=cloud.aws_env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["FailedEntryCount"] == 0
    return sorted(entry["EventId"] for entry in output["Entries"])


def kill_process_group(cloud: RunningCloud) -> None:
    os.killpg(cloud.process.pid, signal.SIGKILL)
    cloud.process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(cloud.process.pid, 0)
        except ProcessLookupError:
            return  # every Lambda worker of the group is gone too
        time.sleep(0.1)
    raise AssertionError("processes of the killed local cloud are still running")


@pytest.mark.timeout(300)  # two starts of the local cloud and the planned 30 s wait, on a busy machine
def test_kill_9_of_the_whole_local_cloud_loses_no_accepted_event(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"

    async def scenario() -> None:
        target = UnavailableTarget()
        await target.start()
        first = await asyncio.to_thread(start_cloud, state_dir, own_session=True)
        try:
            await asyncio.to_thread(route_supply_rule_through, first, target.url)
            put_ids = await asyncio.to_thread(put_with_the_aws_cli, first, tmp_path)
            for _ in range(300):
                rows = read_pending(state_dir)
                if len(rows) == EVENTS and all(row.attempts == 1 for row in rows):
                    break
                await asyncio.sleep(0.1)
            # Pending: the supply ingress's checked event of each (a new event on the bus, its own id).
            constraint_ids = {f"sc-e2e-kill-{i}" for i in range(EVENTS)}
            assert {row.event["detail"]["constraintId"] for row in rows} == constraint_ids, first.log_tail()
            assert {row.event["source"] for row in rows} == {"vehicle-config.supply.checked"}
            event_ids = sorted(row.event["id"] for row in rows)
            assert not set(event_ids) & set(put_ids)
            assert {row.last_error_code for row in rows} == {"HTTP_503"}
        finally:
            await asyncio.to_thread(kill_process_group, first)
            await target.stop()
        attempts_before = target.requests
        assert attempts_before == EVENTS

        # kill -9 leaves local.json behind; start_cloud waits for a fresh one.
        (state_dir / "local.json").unlink()
        second = await asyncio.to_thread(start_cloud, state_dir)
        try:
            token = await asyncio.to_thread(second.token, "supply-lead")
            async with RawSubscriber(second.info["appsync"]["realtime"], token) as subscriber:
                reply = await subscriber.subscribe("/plants/ZWI")
                assert reply["type"] == "subscribe_success", reply
                received = await subscriber.notifications(EVENTS, timeout=RETRY_AFTER_SECONDS + 60)
                received += await subscriber.notifications(1, timeout=3)  # a duplicate would show up here
            assert sorted(n["eventId"] for n in received) == event_ids, second.log_tail()
            assert {n["constraintId"] for n in received} == constraint_ids
            assert DeadLetterStore(state_dir).list() == []
            assert read_pending(state_dir) == []
            assert "resuming 10 pending deliveries from the journal" in second.log_path.read_text()
        finally:
            await asyncio.to_thread(stop_cloud, second, signal.SIGTERM)

    asyncio.run(scenario())
