"""End to end: what Lambda had accepted when `vcn local up` was killed with SIGKILL runs after a restart.

The history recorder (the namespaces' OnPublish handler, invoked asynchronously) cannot record at first: the
cloud's DynamoDB child is killed, so each first attempt fails and its retry waits
(`--lambda-retry-base-seconds`). The notifications were delivered and their deliveries left the delivery
journal when the recorder accepted them. Then the whole cloud is killed. The restarted cloud has its DynamoDB
again and resumes the accepted invocations from `.vcn/lambda/`: the history holds each notification once, and
no dead-letter queue holds anything.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.support.async_queue import queued
from tests.support.history_cloud import put_validations
from tests.support.local_cloud import RunningCloud, start_cloud, stop_cloud
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.journal import read_pending

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
USER = "analyst-de"  # a demo analyst granted market DE
EVENTS = 3
RETRY_SECONDS = 10  # the recorder's first retry: not due before the kill (due or not at the restart, it runs)


def kill_dynamodb_child(state_dir: Path) -> None:
    """SIGKILL the cloud's `python -m vcn.dynamodb` (its command line names the state folder)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"vcn.dynamodb" in arguments and str(state_dir).encode() in arguments:
            os.kill(int(entry.name), signal.SIGKILL)
            return
    raise AssertionError(f"no DynamoDB child of the cloud on {state_dir}")


def history_ids(cloud: RunningCloud, channel: str) -> list[str]:
    shown = cloud.vcn("history", channel, "--user", USER, "--all")
    assert shown.returncode == 0, shown.stderr
    return [json.loads(line)["eventId"] for line in shown.stdout.splitlines()]


@pytest.mark.timeout(300)  # two starts of the local cloud and the planned retry, on a busy machine
def test_invocations_the_recorder_had_accepted_survive_kill_9_and_are_recorded_once(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    model_line = f"K{uuid.uuid4().hex[:6].upper()}"  # a model line of this test's own
    channel = f"/markets/DE/{model_line}"
    first = start_cloud(state_dir, "--lambda-retry-base-seconds", str(RETRY_SECONDS), own_session=True)
    try:
        if not first.info.get("dynamodb"):
            pytest.skip("this local cloud has no DynamoDB (local.json has no `dynamodb` endpoint)")
        kill_dynamodb_child(state_dir)
        event_ids = put_validations(first, tmp_path, EVENTS, market="DE", model_line=model_line, user=USER)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = [kept for kept in queued(state_dir) if kept.payload.get("info", {}).get("channel")]
            if (
                len(waiting) >= EVENTS
                and all(kept.attempts == 1 for kept in waiting)
                and not read_pending(state_dir)
            ):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the recorder's first attempts never failed:\n{first.log_tail()}")
        on_channel = [kept for kept in waiting if kept.payload["info"]["channel"]["path"] == channel]
        assert sorted(
            e["payload"]["eventId"] for kept in on_channel for e in kept.payload["events"]
        ) == sorted(event_ids)
    finally:
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=30)

    (state_dir / "local.json").unlink()  # a killed cloud cannot remove it
    second = start_cloud(state_dir)
    try:
        deadline = time.monotonic() + RETRY_SECONDS + 60
        while sorted(set(recorded := history_ids(second, channel))) != sorted(event_ids):
            assert time.monotonic() < deadline, f"recorded {recorded} of {event_ids}:\n{second.log_tail()}"
            time.sleep(1)
        assert sorted(recorded) == sorted(event_ids)  # each once
        assert f"resuming {len(waiting)} asynchronous invocations from" in second.log_path.read_text()
        assert DeadLetterStore(state_dir).list() == []
        deadline = time.monotonic() + 30
        while queued(state_dir) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert queued(state_dir) == []
    finally:
        stop_cloud(second, signal.SIGTERM)
