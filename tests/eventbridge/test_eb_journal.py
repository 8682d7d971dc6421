"""The delivery journal: what PutEvents accepted survives a crash and resumes where it was after a restart on
the same state folder, ages counted from the original PutEvents; each delivery is in the journal, delivered
or in a dead-letter queue, never two of these; failures of the journal or of a dead-letter queue lose nothing.

A crash is the service's event loop stopped dead (`Cloud.crash`): nothing more runs and nothing the journal
had not committed is written, as with kill -9 (the subprocess tests in test_eb_standalone use a real one).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.eventbridge import (
    DLQ_ARN,
    FAST,
    Cloud,
    CloudFactory,
    Reply,
    events_client,
    put_event,
    rule_to,
    sink_destination,
)
from vcn.eventbridge.invocation import TargetInvoker
from vcn.eventbridge.journal import DeliveryJournal, JournalError, PendingDelivery, read_pending
from vcn.eventbridge.resource_store import RESOURCES_FILE
from vcn.eventbridge.service import EventBridgeService
from vcn.eventbridge.settings import EventBridgeSettings

LATER = 31.0  # past the Retry-After of the first attempt


def configure(cloud: Cloud, *, dead_letters: bool = True, **target: Any) -> str:
    """Rule r1 -> the cloud's sink: the same rule ARN and target id in every cloud, as a template gives."""
    spec = {"Id": "sink", "Arn": sink_destination(cloud), **target}
    if dead_letters:
        spec["DeadLetterConfig"] = {"Arn": DLQ_ARN}
    return rule_to(cloud, spec)


def journal(cloud: Cloud) -> list[PendingDelivery]:
    return read_pending(cloud.state_dir)


def wait_for_journal(
    cloud: Cloud, predicate: Callable[[list[PendingDelivery]], bool]
) -> list[PendingDelivery]:
    cloud.wait_until(lambda: predicate(journal(cloud)))
    return journal(cloud)


def first_attempt_failed_for_30_seconds(cloud: Cloud, count: int = 1) -> list[PendingDelivery]:
    """Deliveries whose first attempt got 503 + Retry-After: 30, as the journal records them."""
    return wait_for_journal(cloud, lambda rows: len(rows) == count and all(r.attempts == 1 for r in rows))


@dataclass(frozen=True)
class Waiting:
    """A cloud whose one event's first attempt got 503 + Retry-After: 30, and that delivery's journal row."""

    cloud: Cloud
    rule_arn: str
    event_id: str
    row: PendingDelivery


def waiting_30_seconds(clouds: CloudFactory, tmp_path: Path, **target: Any) -> Waiting:
    cloud = clouds(tmp_path)
    rule_arn = configure(cloud, **target)
    cloud.sink.script(Reply(503, {"Retry-After": "30"}))
    event_id = put_event(cloud)
    [row] = first_attempt_failed_for_30_seconds(cloud)
    return Waiting(cloud, rule_arn, event_id, row)


def restarted(
    clouds: CloudFactory,
    crashed: Cloud,
    *,
    shift: float = 0.0,
    replies: tuple[Reply, ...] = (),
    **target: Any,
) -> Cloud:
    """A new service on the crashed one's state folder, `shift` seconds later, its sink answering `replies`
    first: the rule is declared again (as the template's would be, pointing at this cloud's sink), then the
    service starts and resumes the journal."""
    return clouds(
        crashed.state_dir,
        FAST,
        wall=lambda: time.time() + shift,
        scripted=replies,
        declare=lambda cloud: configure(cloud, **target),
    )


async def _resume(cloud: Cloud) -> int:
    return cloud.service.resume()


def test_accepted_events_survive_a_crash_and_are_delivered_once_after_the_restart(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    first = clouds(tmp_path)
    configure(first)
    first.sink.script(*[Reply(503, {"Retry-After": "30"})] * 5)
    entries = [
        {"Source": "test.app", "DetailType": "Tested", "Detail": json.dumps({"n": n})} for n in range(5)
    ]
    response = events_client(first.url).put_events(Entries=entries)
    event_ids = sorted(entry["EventId"] for entry in response["Entries"])
    rows = first_attempt_failed_for_30_seconds(first, 5)
    assert sorted(row.event["id"] for row in rows) == event_ids
    assert {(row.last_error_code, row.target_id) for row in rows} == {("HTTP_503", "sink")}
    first.crash()

    second = restarted(clouds, first, shift=LATER)
    received = second.loop.run(second.sink.wait_for(5))
    second.idle()
    assert sorted(request.json()["id"] for request in received) == event_ids
    assert wait_for_journal(second, lambda rows: rows == []) == []
    assert second.service.dead_letters.list() == []


def test_a_resumed_delivery_keeps_its_attempt_count(clouds: CloudFactory, tmp_path: Path) -> None:
    waiting = waiting_30_seconds(clouds, tmp_path, RetryPolicy={"MaximumRetryAttempts": 1})
    first, event_id = waiting.cloud, waiting.event_id
    first.crash()

    second = restarted(
        clouds, first, shift=LATER, replies=(Reply(500),), RetryPolicy={"MaximumRetryAttempts": 1}
    )
    [message] = _dead_letters(second)
    # One attempt before the crash, the one retry the policy allows after it.
    assert len(second.sink.received) == 1
    assert message.attributes["RETRY_ATTEMPTS"] == "1"
    assert message.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert message.attributes["ERROR_CODE"] == "HTTP_500"
    assert message.event["id"] == event_id


def test_event_age_counts_from_the_original_put_events_across_a_restart(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    waiting = waiting_30_seconds(clouds, tmp_path, RetryPolicy={"MaximumEventAgeInSeconds": 60})
    first, event_id, row = waiting.cloud, waiting.event_id, waiting.row
    first.crash()

    # Two minutes later: the event is older than its 60 s, so it is not tried again.
    second = restarted(clouds, first, shift=120.0, RetryPolicy={"MaximumEventAgeInSeconds": 60})
    [message] = _dead_letters(second)
    assert second.sink.received == []
    assert message.message_id == row.delivery_id and message.event["id"] == event_id
    assert message.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert message.attributes["ERROR_CODE"] == "HTTP_503"
    assert message.attributes["RETRY_ATTEMPTS"] == "0"
    assert wait_for_journal(second, lambda rows: rows == []) == []


def test_a_resumed_delivery_waits_for_its_planned_next_attempt(clouds: CloudFactory, tmp_path: Path) -> None:
    waiting = waiting_30_seconds(clouds, tmp_path)
    first, row = waiting.cloud, waiting.row
    assert row.next_attempt_at - row.accepted_at >= 30
    first.crash()

    second = restarted(clouds, first)  # restarted at once: the next attempt is still ~30 s away
    time.sleep(0.5)
    assert second.sink.received == []
    assert [pending.delivery_id for pending in journal(second)] == [row.delivery_id]


def test_completed_deliveries_leave_the_journal(clouds: CloudFactory, tmp_path: Path) -> None:
    cloud = clouds(tmp_path)
    configure(cloud)
    for n in range(20):
        put_event(cloud, {"n": n})
    cloud.loop.run(cloud.sink.wait_for(20))
    cloud.idle()
    assert wait_for_journal(cloud, lambda rows: rows == []) == []


def test_a_delivery_already_in_its_dead_letter_queue_is_not_resumed(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    waiting = waiting_30_seconds(clouds, tmp_path)
    first, row = waiting.cloud, waiting.row
    # The process died after writing the dead-letter message and before the journal forgot the delivery.
    first.service.dead_letters.send(
        "eb-dlq",
        body=json.dumps(row.event),
        attributes={"ERROR_CODE": "HTTP_400"},
        rule_arn=row.rule_arn,
        target_id=row.target_id,
        event=row.event,
        message_id=row.delivery_id,
    )
    first.crash()

    second = restarted(clouds, first, shift=LATER)
    assert wait_for_journal(second, lambda rows: rows == []) == []
    assert [message.message_id for message in second.service.dead_letters.list()] == [row.delivery_id]
    time.sleep(0.3)
    assert second.sink.received == []


def test_dead_lettered_delivery_takes_its_journal_id_and_leaves_the_journal(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    waiting = waiting_30_seconds(clouds, tmp_path)
    waiting.cloud.crash()

    second = restarted(clouds, waiting.cloud, shift=LATER, replies=(Reply(400),))
    [message] = _dead_letters(second)
    assert message.message_id == waiting.row.delivery_id
    assert wait_for_journal(second, lambda rows: rows == []) == []


def test_shutdown_keeps_what_the_grace_period_does_not_finish_for_the_next_start(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    first = clouds(tmp_path)
    configure(first)
    rule_to(first, {"Id": "bare", "Arn": sink_destination(first, "no-dlq")}, rule="r2")
    first.sink.script(Reply(delay=5.0), Reply(delay=5.0))
    event_id = put_event(first)
    first.loop.run(first.sink.wait_for(2))
    report = first.loop.run(first.server.stop(grace_seconds=0.1))
    assert (report.kept, report.dead_lettered) == (2, 0)
    assert first.service.dead_letters.list() == []
    assert sorted((row.target_id, row.event["id"]) for row in journal(first)) == [
        ("bare", event_id),
        ("sink", event_id),
    ]

    def declare(cloud: Cloud) -> None:
        configure(cloud)
        rule_to(cloud, {"Id": "bare", "Arn": sink_destination(cloud, "no-dlq")}, rule="r2")

    second = clouds(tmp_path, declare=declare)  # resumes both deliveries as it starts
    received = second.loop.run(second.sink.wait_for(2))
    assert [request.json()["id"] for request in received] == [event_id, event_id]
    assert wait_for_journal(second, lambda rows: rows == []) == []


def test_without_a_journal_shutdown_dead_letters_what_the_grace_period_does_not_finish(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    cloud = clouds(tmp_path, EventBridgeSettings(journal=False, retry_base_seconds=0.01))
    configure(cloud)
    rule_to(cloud, {"Id": "bare", "Arn": sink_destination(cloud, "no-dlq")}, rule="r2")
    cloud.sink.script(Reply(delay=5.0), Reply(delay=5.0))
    put_event(cloud)
    cloud.loop.run(cloud.sink.wait_for(2))
    report = cloud.loop.run(cloud.server.stop(grace_seconds=0.1))
    assert (report.kept, report.dead_lettered) == (0, 2)
    messages = {message.queue: message for message in cloud.service.dead_letters.list()}
    assert set(messages) == {"eb-dlq", "vcn-undelivered"}
    for message in messages.values():
        assert message.attributes["ERROR_CODE"] == "LocalCloudShutdown"
        assert "shut down" in message.attributes["ERROR_MESSAGE"]
    assert not (tmp_path / "journal").exists()


def test_resumed_delivery_for_a_rule_that_is_gone_waits_in_its_dead_letter_queue_for_a_redrive(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    waiting = waiting_30_seconds(clouds, tmp_path)
    rule_arn, event_id = waiting.rule_arn, waiting.event_id
    waiting.cloud.crash()

    # The rule was not declared again: the resources the first cloud made are forgotten, as when a template
    # no longer declares them.
    (tmp_path / RESOURCES_FILE).unlink()
    second = clouds(tmp_path, FAST, wall=lambda: time.time() + LATER)  # resumes as it starts
    [message] = _dead_letters(second)
    assert message.queue == "eb-dlq"
    assert message.attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert message.attributes["ERROR_MESSAGE"] == (
        f"Rule {rule_arn} or its target sink did not exist when the local EventBridge restarted; recreate it "
        "(e.g. start the local cloud with the same template) and redrive this message with `vcn dlq redrive`."
    )
    configure(second)
    report = second.loop.run(second.service.redrive())
    assert report.redriven == [message.message_id]
    assert [request.json()["id"] for request in second.sink.received] == [event_id]


def test_journal_that_cannot_be_written_fails_put_events_before_anything_is_routed(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    cloud = clouds(tmp_path)
    rule_arn = configure(cloud)
    store = cloud.service.journal
    assert isinstance(store, DeliveryJournal)
    # A full disk, for real: SQLite refuses to grow the database past this many pages.
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")
    big = {"Source": "test.app", "DetailType": "Tested", "Detail": json.dumps({"pad": "x" * 20_000})}
    with pytest.raises(ClientError) as raised:
        events_client(cloud.url).put_events(Entries=[big])
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert response["Error"]["Code"] == "InternalException"
    assert response["Error"]["Message"].startswith("The events were not accepted: the delivery journal ")
    assert "database or disk is full" in response["Error"]["Message"]
    time.sleep(0.3)
    assert cloud.sink.received == []
    assert cloud.service.metrics.get(rule_arn, "sink", "MatchedEvents") == 0

    store._db.execute("PRAGMA max_page_count=1073741823")
    put_event(cloud)
    assert len(cloud.loop.run(cloud.sink.wait_for(1))) == 1


def test_dead_letter_queue_that_cannot_be_written_keeps_the_delivery_in_the_journal(
    clouds: CloudFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = clouds(tmp_path)
    rule_arn = configure(first)
    blocker = tmp_path / "dlq" / "eb-dlq"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the queue's folder should be")
    first.sink.script(Reply(400))
    with caplog.at_level(logging.ERROR, logger="vcn.eventbridge"):
        event_id = put_event(first)
        first.wait_until(
            lambda: first.service.metrics.get(rule_arn, "sink", "InvocationsFailedToBeSentToDlq") == 1
        )
        first.idle()
    assert any("could not write dead-letter message" in record.getMessage() for record in caplog.records)
    assert first.service.metrics.get(rule_arn, "sink", "InvocationsSentToDLQ") == 0
    assert [row.event["id"] for row in journal(first)] == [event_id]
    first.crash()

    blocker.unlink()
    second = restarted(clouds, first, replies=(Reply(400),))
    [message] = _dead_letters(second)
    assert message.event["id"] == event_id and message.attributes["ERROR_CODE"] == "HTTP_400"
    assert wait_for_journal(second, lambda rows: rows == []) == []


def test_delivery_that_fails_inside_the_local_eventbridge_is_dead_lettered_not_lost(
    clouds: CloudFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No known input reaches this guard now; a fault injected into the attempt stands in for the next bug.
    async def broken(*_: Any) -> Any:
        raise UnicodeEncodeError("utf-8", "cfg-\ud800", 4, 5, "surrogates not allowed")

    monkeypatch.setattr(TargetInvoker, "attempt", broken)
    cloud = clouds(tmp_path)
    with_queue = configure(cloud)
    bare = rule_to(cloud, {"Id": "bare", "Arn": sink_destination(cloud, "no-dlq")}, rule="r2")
    with caplog.at_level(logging.ERROR, logger="vcn.eventbridge"):
        event_id = put_event(cloud)
        messages = _dead_letters(cloud, 2)
    assert {message.queue for message in messages} == {"eb-dlq", "vcn-undelivered"}
    for message in messages:
        assert message.event["id"] == event_id
        assert message.attributes["ERROR_CODE"] == "LocalDeliveryError"
        assert message.attributes["ERROR_MESSAGE"].startswith(
            "The local EventBridge failed while delivering this event (UnicodeEncodeError: "
        )
    for rule_arn, target_id in ((with_queue, "sink"), (bare, "bare")):
        assert cloud.service.metrics.get(rule_arn, target_id, "FailedInvocations") == 1
        assert cloud.service.metrics.get(rule_arn, target_id, "InvocationsSentToDLQ") == 1
    assert any(record.exc_info for record in caplog.records), "the traceback must be logged"
    assert wait_for_journal(cloud, lambda rows: rows == []) == []


def test_journal_is_sqlite_in_wal_mode_in_the_state_folder(clouds: CloudFactory, tmp_path: Path) -> None:
    clouds(tmp_path)
    path = tmp_path / "journal" / "deliveries.sqlite3"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1


@pytest.mark.parametrize(("setting", "level"), [("NORMAL", 1), ("FULL", 2)])
def test_journal_commits_at_the_synchronous_level_of_the_settings(
    clouds: CloudFactory, tmp_path: Path, setting: Any, level: int
) -> None:
    cloud = clouds(tmp_path, EventBridgeSettings(journal_synchronous=setting))
    store = cloud.service.journal
    assert isinstance(store, DeliveryJournal)
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == level
    configure(cloud)
    put_event(cloud)
    assert len(cloud.loop.run(cloud.sink.wait_for(1))) == 1


def _dead_letters(cloud: Cloud, count: int = 1) -> list[Any]:
    cloud.wait_until(lambda: len(cloud.service.dead_letters.list()) >= count)
    cloud.idle()
    return cloud.service.dead_letters.list()


def test_damaged_journal_stops_the_start_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "journal" / "deliveries.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"not a database, just bytes " * 100)
    with pytest.raises(JournalError) as raised:
        EventBridgeService("000000000000", "us-east-1", state_dir=tmp_path)
    assert str(raised.value) == (
        f"the delivery journal {path} cannot be opened (file is not a database). Check that the state folder "
        "is writable; if the file is damaged, move it aside to start without the deliveries it held."
    )


def test_resume_runs_before_put_events_is_served_so_it_never_takes_this_runs_deliveries(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    cloud = waiting_30_seconds(clouds, tmp_path).cloud
    # The service resumed the journal as it started; a second resume finds nothing of an earlier run to take.
    assert cloud.loop.run(_resume(cloud)) == 0


def test_pending_deliveries_are_read_from_a_relative_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vcn dlq pending` passes the default state folder as it is, `.vcn`: relative to where it runs."""
    (tmp_path / "project").mkdir()
    asyncio.run(DeliveryJournal(tmp_path / "project" / ".vcn" / "journal" / "deliveries.sqlite3").close())
    monkeypatch.chdir(tmp_path / "project")
    assert read_pending(Path(".vcn")) == []
