"""Dead-letter queues that survive what users and crashes do to them: atomic writes, leftovers of a dead
process cleaned at start, unreadable files quarantined, ids and queue names that cannot become globs or
paths, malformed redrive requests refused with a message, and redrives that run in the background, a few
at a time, each failure logged with its reason."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from tests.support import eventbridge as eb
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.redrive import REDRIVE_CONCURRENCY

SHAPE = 'send {"queue": "<queue name>", "messageIds": ["<message id>", ...]}, both optional'


def send(store: DeadLetterStore, queue: str = "eb-dlq", **event: Any) -> str:
    return store.send(
        queue,
        body=json.dumps(event),
        attributes={"ERROR_CODE": "HTTP_400"},
        rule_arn="arn:aws:events:us-east-1:000000000000:rule/r1",
        target_id="sink",
        event={"id": str(uuid.uuid4()), **event},
    ).message_id


def dead_lettered(cloud: eb.Cloud, count: int) -> list[str]:
    """`count` events put while the sink refuses them (400), all in queue eb-dlq."""
    eb.rule_to(
        cloud, {"Id": "sink", "Arn": eb.sink_destination(cloud), "DeadLetterConfig": {"Arn": eb.DLQ_ARN}}
    )
    cloud.sink.script(*[eb.Reply(400)] * count)
    for n in range(count):
        eb.put_event(cloud, {"n": n})
    cloud.wait_until(lambda: len(cloud.service.dead_letters.list()) == count)
    cloud.idle()
    return [message.message_id for message in cloud.service.dead_letters.list()]


def follow(cloud: eb.Cloud, redrive_id: str) -> dict[str, Any]:
    url = f"{cloud.url}/_vcn/dlq/redrive/{redrive_id}"
    report: dict[str, Any] = requests.get(url, timeout=10).json()
    deadline = time.monotonic() + 60
    while report["State"] != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.05)
        report = requests.get(url, timeout=10).json()
    return report


def test_a_message_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path)
    with pytest.raises(TypeError):
        store.send("eb-dlq", body="{}", attributes={}, rule_arn="r", target_id="t", event={"bad": {1, 2}})
    assert list((tmp_path / "dlq" / "eb-dlq").iterdir()) == []
    message_id = send(store, n=1)
    assert [path.name for path in (tmp_path / "dlq" / "eb-dlq").iterdir()] == [f"{message_id}.json"]


def test_a_message_holding_any_string_reads_back_as_it_was_sent(tmp_path: Path) -> None:
    """A function's failed invocation may carry a payload with an unpaired surrogate (an AppSync event of
    `"\\ud800"`): its record must stay listable and readable, not be quarantined."""
    store = DeadLetterStore(tmp_path)
    event = {"payload": {"events": ["\ud800", "ok"]}}
    sent = store.send(
        "fn-failures", body=json.dumps(event), attributes={}, rule_arn="", target_id="", event=event
    )
    assert [(m.message_id, m.event) for m in store.list("fn-failures")] == [(sent.message_id, event)]
    assert not (tmp_path / "dlq" / "fn-failures" / "quarantine").exists()


def test_temp_files_a_dead_process_left_are_removed_at_start(clouds: eb.CloudFactory, tmp_path: Path) -> None:
    kept = send(DeadLetterStore(tmp_path), n=1)
    stray = tmp_path / "dlq" / "eb-dlq" / f".{uuid.uuid4()}.tmp"
    stray.write_text('{"MessageId": "half writ')
    cloud = clouds(tmp_path)
    assert not stray.exists()
    assert [message.message_id for message in cloud.service.dead_letters.list()] == [kept]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"MessageId": "abc", "QueueName": "eb-d', "Unterminated string"),
        ("[]", "it does not hold a JSON object"),
        ('{"MessageId": "x"}', "Redrive is missing or not a JSON object"),
    ],
    ids=["truncated", "array", "hand-edited"],
)
def test_unreadable_message_is_quarantined_and_the_others_still_list_and_redrive(
    cloud: eb.Cloud, content: str, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    [good] = dead_lettered(cloud, 1)
    bad = cloud.state_dir / "dlq" / "eb-dlq" / f"{uuid.uuid4()}.json"
    bad.write_text(content)
    with caplog.at_level(logging.WARNING, logger="vcn.eventbridge"):
        listed = requests.get(cloud.url + "/_vcn/dlq", timeout=10)
    assert listed.status_code == 200
    assert [message["MessageId"] for message in listed.json()["Messages"]] == [good]
    moved = cloud.state_dir / "dlq" / "eb-dlq" / "quarantine" / bad.name
    assert moved.read_text() == content and not bad.exists()
    [warning] = [record.getMessage() for record in caplog.records if "cannot be read" in record.getMessage()]
    assert str(bad) in warning and problem in warning and str(moved) in warning
    report = cloud.loop.run(cloud.service.redrive())
    assert report.redriven == [good]


def test_message_whose_id_is_not_its_file_name_is_quarantined(cloud: eb.Cloud) -> None:
    store = cloud.service.dead_letters
    message_id = send(store, n=1)
    path = cloud.state_dir / "dlq" / "eb-dlq" / f"{message_id}.json"
    renamed = path.with_name(f"{uuid.uuid4()}.json")
    path.rename(renamed)
    assert store.list() == []
    assert (renamed.parent / "quarantine" / renamed.name).exists()


@pytest.mark.parametrize("message_id", ["*", "a*", "%3F", "..%2F..%2Fjournal", ".hidden"])
def test_message_id_is_never_a_glob_or_a_path(cloud: eb.Cloud, message_id: str) -> None:
    send(cloud.service.dead_letters, n=1)
    response = requests.get(f"{cloud.url}/_vcn/dlq/{message_id}", timeout=10)
    assert response.status_code == 400
    shown = unquote(message_id)
    assert response.json() == {
        "message": f"{shown!r} is not a message id: ids are 1 to 128 letters, digits, '-' or '_' "
        "(`vcn dlq list` shows them)."
    }


def test_unknown_message_id_is_a_404(cloud: eb.Cloud) -> None:
    response = requests.get(f"{cloud.url}/_vcn/dlq/{uuid.uuid4()}", timeout=10)
    assert response.status_code == 404
    assert "`vcn dlq list` shows the ids that exist" in response.json()["message"]


def test_queue_name_is_never_a_path(cloud: eb.Cloud) -> None:
    response = requests.get(f"{cloud.url}/_vcn/dlq", params={"queue": "../journal"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["message"].startswith("'../journal' is not a queue name")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The redrive request is not valid JSON (Expecting property name enclosed in double "
         f"quotes: line 1 column 2 (char 1)); {SHAPE}."),
        (b"[1]", f"The redrive request must be a JSON object; {SHAPE}."),
        (b'{"queues": "eb-dlq"}', f"Unknown field(s) queues in the redrive request; {SHAPE}."),
        (b'{"queue": 5}', f"queue must be a string; {SHAPE}."),
        (b'{"messageIds": "abc"}', f"messageIds must be a list of strings; {SHAPE}."),
        (b'{"messageIds": ["*"]}', "'*' is not a message id: ids are 1 to 128 letters, digits, '-' or '_' "
         "(`vcn dlq list` shows them)."),
        (b'{"queue": "../x"}', "'../x' is not a queue name: 1 to 80 letters, digits, '-' or '_' (an SQS "
         "QueueName); `vcn dlq list` shows the queues that hold messages."),
        (b"[" * 500, "The redrive request is not valid JSON (it nests arrays and objects deeper than 100 "
         f"levels); {SHAPE}."),
    ],
    ids=["not-json", "not-object", "unknown-field", "queue-type", "ids-type", "id-glob", "queue-path",
         "deep"],
)  # fmt: skip
def test_malformed_redrive_request_is_a_400_saying_what_to_send(
    cloud: eb.Cloud, body: bytes, message: str
) -> None:
    [kept] = dead_lettered(cloud, 1)
    response = requests.post(cloud.url + "/_vcn/dlq/redrive", data=body, timeout=10)
    assert (response.status_code, response.json()) == (400, {"message": message})
    assert [message.message_id for message in cloud.service.dead_letters.list()] == [kept]


def test_redrive_answers_at_once_and_runs_a_bounded_number_at_a_time(
    cloud: eb.Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    messages = dead_lettered(cloud, 20)
    # The target is down now: every redelivery waits a while, then fails.
    cloud.sink.script(*[eb.Reply(500, delay=0.3)] * 20)
    with caplog.at_level(logging.INFO, logger="vcn.eventbridge"):
        started = requests.post(cloud.url + "/_vcn/dlq/redrive", json={}, timeout=10)
        assert started.status_code == 202
        first = started.json()
        assert (first["State"], first["Total"], first["Redriven"], first["Failed"]) == ("RUNNING", 20, [], {})
        report = follow(cloud, first["RedriveId"])
    assert report["State"] == "COMPLETED" and report["Pending"] == 0 and report["Redriven"] == []
    assert sorted(report["Failed"]) == sorted(messages)
    assert set(report["Failed"].values()) == {f"HTTP_500: POST {cloud.sink.url}/in answered 500"}
    assert cloud.sink.most_in_flight == REDRIVE_CONCURRENCY
    failures = [
        record.getMessage()
        for record in caplog.records
        if "the message stays in its queue" in record.getMessage()
    ]
    assert len(failures) == 20 and all("HTTP_500" in line for line in failures)
    assert sorted(message.message_id for message in cloud.service.dead_letters.list()) == sorted(messages)


def test_redrive_progress_of_an_unknown_run_is_a_404(cloud: eb.Cloud) -> None:
    response = requests.get(f"{cloud.url}/_vcn/dlq/redrive/{uuid.uuid4()}", timeout=10)
    assert response.status_code == 404
    assert "messages not redriven are still in `vcn dlq list`" in response.json()["message"]


def test_claims_of_a_redrive_that_died_return_to_their_queue_at_start(
    clouds: eb.CloudFactory, tmp_path: Path
) -> None:
    store = DeadLetterStore(tmp_path)
    message_id = send(store, n=1)
    claims, _ = store.claim()
    assert [claim.message.message_id for claim in claims] == [message_id] and store.list() == []
    cloud = clouds(tmp_path)
    assert [message.message_id for message in cloud.service.dead_letters.list()] == [message_id]
