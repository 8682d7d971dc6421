"""`python -m vcn.eventbridge` alone, as a process: SIGTERM keeps pending deliveries in the journal, kill -9
loses no accepted event, and both come back after a restart on the same state folder.

Resources created through the API are kept in the state folder too, so a restart resumes the pending
deliveries on the same rule. When the rule is gone (its file removed here), the resumed deliveries go to the
dead-letter queue with a message saying so, and a redrive delivers them once the rule exists again.
"""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.eventbridge import LoopThread, Reply, Sink, events_client, sink_on_own_loop
from tests.support.local_cloud import free_ports
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.journal import read_pending

DLQ = {"Arn": "arn:aws:sqs:us-east-1:000000000000:standalone-dlq"}


@pytest.fixture
def sink() -> Iterator[tuple[LoopThread, Sink]]:
    with sink_on_own_loop() as running:
        yield running


class Standalone:
    def __init__(self, state_dir: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "vcn.eventbridge",
                "--port", "0", "--state-dir", str(state_dir), "--grace-seconds", "0.2",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        match = re.search(r"(http://\S+)", self.process.stdout.readline())
        assert match is not None, "the EventBridge did not start"
        self.url = match.group(1)
        self.events = events_client(self.url)

    def configure(self, endpoint: str) -> None:
        """Connection, API destination to `endpoint`, rule r and its target d with a dead-letter queue."""
        connection = self.events.create_connection(
            Name="c",
            AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}},
        )["ConnectionArn"]
        destination = self.events.create_api_destination(
            Name="d", ConnectionArn=connection, InvocationEndpoint=endpoint, HttpMethod="POST"
        )["ApiDestinationArn"]
        self.events.put_rule(Name="r", EventPattern=json.dumps({"source": ["standalone"]}))
        self.events.put_targets(Rule="r", Targets=[{"Id": "d", "Arn": destination, "DeadLetterConfig": DLQ}])

    def put(self, count: int) -> list[str]:
        entries = [
            {"Source": "standalone", "DetailType": "t", "Detail": json.dumps({"n": n})} for n in range(count)
        ]
        response = self.events.put_events(Entries=entries)
        assert response["FailedEntryCount"] == 0
        return sorted(entry["EventId"] for entry in response["Entries"])

    def redrive(self) -> dict[str, Any]:
        started = requests.post(self.url + "/_vcn/dlq/redrive", json={}, timeout=10)
        assert started.status_code == 202, started.text
        progress = f"{self.url}/_vcn/dlq/redrive/{started.json()['RedriveId']}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            report: dict[str, Any] = requests.get(progress, timeout=10).json()
            if report["State"] == "COMPLETED":
                return report
            time.sleep(0.1)
        raise AssertionError(f"redrive did not finish: {report}")

    def stop(self, how: signal.Signals) -> str:
        if how == signal.SIGKILL:
            os.kill(self.process.pid, signal.SIGKILL)
        else:
            self.process.send_signal(how)
        output, _ = self.process.communicate(timeout=30)
        return output

    def kill_if_running(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _pending_after_delivery(state_dir: Path, timeout: float = 5.0) -> list[Any]:
    """The journal's pending rows once a delivery that just succeeded has been recorded as done."""
    deadline = time.monotonic() + timeout
    while (pending := read_pending(state_dir)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pending


def dead_letters(state_dir: Path, count: int, timeout: float = 30.0) -> list[Any]:
    store = DeadLetterStore(state_dir)
    deadline = time.monotonic() + timeout
    while len(store.list()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return store.list()


def closed_port_url() -> str:
    [port] = free_ports(1)
    return f"http://127.0.0.1:{port}/in"


def test_sigterm_keeps_pending_deliveries_in_the_journal_for_the_next_start(
    tmp_path: Path, sink: tuple[LoopThread, Sink]
) -> None:
    loop, receiver = sink
    first = Standalone(tmp_path)
    try:
        first.configure(receiver.url + "/in")
        receiver.script(Reply(delay=5.0))
        [event_id] = first.put(1)
        loop.run(receiver.wait_for(1))
        output = first.stop(signal.SIGTERM)
    finally:
        first.kill_if_running()
    assert first.process.returncode == 0
    assert "1 pending deliveries stay in the journal, 0 went to dead-letter queues" in output
    assert DeadLetterStore(tmp_path).list() == []
    assert [row.event["id"] for row in read_pending(tmp_path)] == [event_id]
    second = Standalone(tmp_path)  # the rule and its target come back from the state folder
    try:
        received = loop.run(receiver.wait_for(2))
        time.sleep(0.3)  # a duplicate would arrive now
        assert [request.json()["id"] for request in received] == [event_id, event_id]
        assert len(receiver.received) == 2
        assert DeadLetterStore(tmp_path).list() == [] and _pending_after_delivery(tmp_path) == []
    finally:
        second.stop(signal.SIGTERM)
        second.kill_if_running()


def test_kill_9_loses_no_accepted_event(tmp_path: Path, sink: tuple[LoopThread, Sink]) -> None:
    loop, receiver = sink
    first = Standalone(tmp_path)
    try:
        first.configure(closed_port_url())  # the target is unreachable: every delivery keeps retrying
        event_ids = first.put(10)
        first.stop(signal.SIGKILL)
    finally:
        first.kill_if_running()
    assert sorted(row.event["id"] for row in read_pending(tmp_path)) == event_ids
    (tmp_path / "eventbridge-resources.json").unlink()  # the rule is gone when the deliveries resume
    _restart_and_redrive(tmp_path, loop, receiver, event_ids, already_received=0)


def _restart_and_redrive(
    state_dir: Path, loop: LoopThread, receiver: Sink, event_ids: list[str], already_received: int
) -> None:
    second = Standalone(state_dir)
    try:
        # Its rule is not there: the resumed deliveries wait in the dead-letter queue.
        messages = dead_letters(state_dir, len(event_ids))
        assert sorted(message.event["id"] for message in messages) == event_ids
        assert {message.attributes["ERROR_CODE"] for message in messages} == {"ResourceNotFoundException"}
        second.configure(receiver.url + "/in")
        report = second.redrive()
        assert sorted(report["Redriven"]) == sorted(message.message_id for message in messages)
        received = loop.run(receiver.wait_for(already_received + len(event_ids)))
        time.sleep(0.3)  # a duplicate would arrive now
        delivered = [request.json()["id"] for request in receiver.received[already_received:]]
        assert sorted(delivered) == event_ids and len(received) == already_received + len(event_ids)
        assert DeadLetterStore(state_dir).list() == [] and read_pending(state_dir) == []
    finally:
        second.stop(signal.SIGTERM)
        second.kill_if_running()


def test_startup_heap_is_frozen_out_of_full_collections() -> None:
    from vcn.heap import freeze_startup_heap

    gc.unfreeze()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert gc.collect() >= 0  # collections still run on what is created afterwards
    finally:
        gc.unfreeze()
