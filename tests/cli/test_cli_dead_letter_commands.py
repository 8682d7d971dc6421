"""`vcn dlq` against a running local EventBridge: a redrive answers at once and `--wait` / `--follow` follow
it to the end; `list` survives an unreadable message file; ids that are not ids are one clear error line;
`pending` shows what the journal still retries."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.eventbridge import (
    DLQ_ARN,
    Cloud,
    CloudFactory,
    Reply,
    cloud_factory,
    put_event,
    rule_to,
    sink_destination,
)
from vcn.eventbridge.journal import journal_path, read_pending
from vcn.local.state import claim_state_dir, local_document, write_local_json

VCN = [sys.executable, "-m", "vcn.cli.main"]


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    factory: CloudFactory
    for factory in cloud_factory():
        cloud = factory(tmp_path)
        lock = claim_state_dir(tmp_path)  # as a running cloud does: CLI commands look for the lock's holder
        write_local_json(
            tmp_path,
            local_document(
                region="us-east-1",
                account="000000000000",
                eventbridge=cloud.url,
                bus_name="default",
                appsync=None,
                api="http://127.0.0.1:9",
                queues=["eb-dlq", "orders-dlq"],
            ),
        )
        rule_to(cloud, {"Id": "sink", "Arn": sink_destination(cloud), "DeadLetterConfig": {"Arn": DLQ_ARN}})
        with lock:
            yield cloud


def vcn(cloud: Cloud, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*VCN, *args, "--state-dir", str(cloud.state_dir)], capture_output=True, text=True, timeout=120
    )


def dead_lettered(cloud: Cloud, count: int) -> list[str]:
    cloud.sink.script(*[Reply(400)] * count)
    for n in range(count):
        put_event(cloud, {"n": n})
    cloud.wait_until(lambda: len(cloud.service.dead_letters.list()) == count)
    cloud.idle()
    return sorted(message.message_id for message in cloud.service.dead_letters.list())


def test_redrive_answers_at_once_and_follow_reports_the_end(cloud: Cloud) -> None:
    messages = dead_lettered(cloud, 20)
    cloud.sink.script(*[Reply(500, delay=0.5)] * 20)  # the target is down and slow
    started = vcn(cloud, "dlq", "redrive")
    assert started.returncode == 0, started.stderr
    run = json.loads(started.stdout)
    assert (run["State"], run["Total"], run["Failed"]) == ("RUNNING", 20, {})
    assert f"follow it with `vcn dlq redrive --follow {run['RedriveId']}`" in started.stderr

    followed = vcn(cloud, "dlq", "redrive", "--follow", run["RedriveId"])
    assert followed.returncode == 1  # messages are still failing
    report = json.loads(followed.stdout)
    assert report["State"] == "COMPLETED" and sorted(report["Failed"]) == messages
    assert (
        followed.stderr.splitlines()[-1]
        == f"redrive {run['RedriveId']}: 20 of 20 tried, 0 redriven, 20 still failing"
    )
    assert sorted(message.message_id for message in cloud.service.dead_letters.list()) == messages


def test_redrive_wait_delivers_and_reports(cloud: Cloud) -> None:
    messages = dead_lettered(cloud, 3)
    result = vcn(cloud, "dlq", "redrive", "--wait", "--queue", "eb-dlq")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(report["Redriven"]) == messages and report["Failed"] == {} and report["Pending"] == 0
    assert "3 of 3 tried, 3 redriven, 0 still failing" in result.stderr
    assert cloud.service.dead_letters.list() == []


def test_list_and_redrive_go_on_past_an_unreadable_message_file(cloud: Cloud) -> None:
    [good] = dead_lettered(cloud, 1)
    bad = cloud.state_dir / "dlq" / "eb-dlq" / f"{uuid.uuid4()}.json"
    bad.write_text('{"MessageId": "trunc')
    listed = vcn(cloud, "dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(good) and len(listed.stdout.splitlines()) == 1
    assert "cannot be read" in listed.stderr and "quarantine" in listed.stderr
    assert "Traceback" not in listed.stderr
    redriven = vcn(cloud, "dlq", "redrive", "--wait")
    assert redriven.returncode == 0 and json.loads(redriven.stdout)["Redriven"] == [good]


@pytest.mark.parametrize("message_id", ["*", "a?b", "../journal"])
def test_show_with_an_id_that_is_no_id_is_one_clear_line(cloud: Cloud, message_id: str) -> None:
    result = vcn(cloud, "dlq", "show", message_id)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: {message_id!r} is not a message id: ids are 1 to 128 letters, digits, '-' or '_' "
        "(`vcn dlq list` shows them).\n"
    )


def test_redrive_of_a_bad_id_is_refused_with_the_stores_reason(cloud: Cloud) -> None:
    result = vcn(cloud, "dlq", "redrive", "--id", "x*")
    assert result.returncode == 1
    assert result.stderr.startswith("error: 'x*' is not a message id: ids are 1 to 128 letters")


def test_a_queue_or_message_that_does_not_exist_is_an_error_not_an_empty_answer(cloud: Cloud) -> None:
    """A typo in --queue or --id used to list nothing or redrive nothing, with exit status 0."""
    [message] = dead_lettered(cloud, 1)
    queues = "its queues: eb-dlq, orders-dlq"
    for command in (["list"], ["redrive"], ["redrive", "--wait"]):
        typo = vcn(cloud, "dlq", *command, "--queue", "eb-dql")
        assert (typo.returncode, typo.stdout) == (1, ""), typo.stdout
        assert typo.stderr == f"error: no queue eb-dql in the local cloud; {queues}\n"
    unknown = vcn(cloud, "dlq", "redrive", "--id", message, "--id", "no-such-message")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "error: no dead-letter message no-such-message; `vcn dlq list` shows the ids that exist\n"
    )
    assert [m.message_id for m in cloud.service.dead_letters.list()] == [message]  # nothing was redriven

    empty = vcn(cloud, "dlq", "list", "--queue", "orders-dlq")  # declared, no message yet
    assert (empty.returncode, empty.stdout) == (0, "no dead-letter messages\n")
    redriven = vcn(cloud, "dlq", "redrive", "--wait", "--queue", "eb-dlq", "--id", message)
    assert redriven.returncode == 0 and json.loads(redriven.stdout)["Redriven"] == [message]


def test_pending_lists_what_the_journal_still_retries(cloud: Cloud) -> None:
    assert vcn(cloud, "dlq", "pending").stdout.startswith("no pending deliveries in ")
    cloud.sink.script(Reply(503, {"Retry-After": "60"}))
    event_id = put_event(cloud)
    cloud.loop.run(cloud.sink.wait_for(1))
    cloud.wait_until(lambda: [row.attempts for row in read_pending(cloud.state_dir)] == [1])
    [line] = vcn(cloud, "dlq", "pending").stdout.splitlines()
    assert f"  {event_id}  r1/sink  attempts=1  next=" in line
    assert line.endswith(f"HTTP_503: POST {cloud.sink.url}/in answered 503")


def test_pending_shows_the_other_rows_and_says_how_to_delete_one_that_cannot_be_read(cloud: Cloud) -> None:
    """A hand-edited journal row whose event is not JSON: the local cloud skips it with an ERROR log, and
    `vcn dlq pending` ended in a JSONDecodeError traceback."""
    cloud.sink.script(Reply(503, {"Retry-After": "60"}))
    event_id = put_event(cloud)
    cloud.loop.run(cloud.sink.wait_for(1))
    cloud.wait_until(lambda: [row.attempts for row in read_pending(cloud.state_dir)] == [1])
    path = journal_path(cloud.state_dir)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "INSERT INTO deliveries SELECT 'damaged-1', rule_arn, target_id, target_arn, dead_letter_queue, "
            "'{not json', ingestion_time, accepted_at, attempts, next_attempt_at, NULL, NULL FROM deliveries"
        )
    result = vcn(cloud, "dlq", "pending")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert f"  {event_id}  r1/sink  attempts=1  next=" in line
    assert result.stderr == (
        f"warning: delivery journal {path}: row damaged-1 cannot be read (Expecting property name enclosed "
        f"in double quotes: line 1 column 2 (char 1)); it is skipped. Delete it with: sqlite3 {path} "
        "\"DELETE FROM deliveries WHERE delivery_id = 'damaged-1'\"\n"
    )
