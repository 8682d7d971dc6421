"""End to end: schedules on a sped-up clock (`vcn local up --time-scale 60`: a minute passes in a second).

The template beside this test (`schedules/`) has a recorder function invoked by a SAM `Schedule` event (an
EventBridge scheduled rule) and a `ScheduleV2` event (an EventBridge Scheduler schedule with an Input). A
scheduled rule created with the real AWS CLI sends its events to an API destination, an HTTP sink in this
test. Each target receives what AWS sends: the scheduled event, or the schedule's Input.
"""

from __future__ import annotations

import itertools
import json
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.eventbridge import EVENT_MEMBERS, LoopThread, Sink, sink_on_own_loop
from tests.support.local_cloud import RunningCloud, cloud_running

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TEMPLATE = Path(__file__).parent / "schedules" / "template.yaml"
ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("recorded") / "events.jsonl"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, record: Path) -> Iterator[RunningCloud]:
    with cloud_running(
        tmp_path_factory.mktemp("schedules") / "state",
        "--template", str(TEMPLATE),
        "--time-scale", "60",
        "--parameter-overrides", f"RecordTo={record}",
        stop_with=signal.SIGTERM,
    ) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[LoopThread, Sink]]:
    with sink_on_own_loop() as running:
        yield running


def recorded(record: Path, count: int, matching: Any, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        lines = record.read_text().splitlines() if record.exists() else []
        found = [event for event in map(json.loads, lines) if matching(event)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def seconds_between(times: list[str]) -> set[float]:
    moments = [datetime.fromisoformat(text).timestamp() for text in times]
    return {later - earlier for earlier, later in itertools.pairwise(moments)}


def test_a_scheduled_rule_invokes_its_function_with_the_scheduled_event(
    cloud: RunningCloud, record: Path
) -> None:
    events = recorded(record, 3, lambda event: event.get("detail-type") == "Scheduled Event")
    assert len(events) >= 3, cloud.log_tail()
    first = events[0]
    assert list(first) == EVENT_MEMBERS
    assert (first["source"], first["account"], first["region"], first["detail"]) == (
        "aws.events",
        ACCOUNT,
        "us-east-1",
        {},
    )
    assert first["resources"] == [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/RecorderEveryMinute"]
    assert seconds_between([event["time"] for event in events]) == {
        60.0
    }  # a minute apart on the sped-up clock
    assert len({event["id"] for event in events}) == len(events)


def test_a_scheduler_schedule_invokes_its_function_with_its_input(cloud: RunningCloud, record: Path) -> None:
    inputs = recorded(record, 2, lambda event: event.get("from") == "scheduler")
    assert len(inputs) >= 2, cloud.log_tail()
    assert set(inputs[0]) == {"from", "at"}  # the Input itself, its context attribute filled in
    assert seconds_between([entry["at"] for entry in inputs]) == {120.0}


def test_a_scheduled_rule_made_with_the_aws_cli_reaches_an_api_destination(
    cloud: RunningCloud, sink: tuple[LoopThread, Sink]
) -> None:
    loop, http = sink
    key = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}}
    connection = cloud.aws_events(
        "create-connection", "--name", "sink", "--authorization-type", "API_KEY",
        "--auth-parameters", json.dumps(key),
    )  # fmt: skip
    # As JSON input: the AWS CLI would fetch an http:// parameter value and send what it read.
    endpoint = {"InvocationEndpoint": f"{http.url}/tick", "HttpMethod": "POST"}
    destination = cloud.aws_events(
        "create-api-destination", "--name", "sink", "--connection-arn", connection["ConnectionArn"],
        "--cli-input-json", json.dumps(endpoint),
    )  # fmt: skip
    rule = cloud.aws_events("put-rule", "--name", "ping", "--schedule-expression", "cron(* * * * ? *)")[
        "RuleArn"
    ]
    target = {"Id": "sink", "Arn": destination["ApiDestinationArn"]}
    assert (
        cloud.aws_events("put-targets", "--rule", "ping", "--targets", json.dumps([target]))[
            "FailedEntryCount"
        ]
        == 0
    )
    received = loop.run(http.wait_for(2, timeout=30))
    bodies = [request.json() for request in received if request.path == "/tick"]
    assert all(body["detail-type"] == "Scheduled Event" and body["resources"] == [rule] for body in bodies)
    assert all(body["time"].endswith(":00Z") for body in bodies)  # cron fires on whole minutes
    assert received[0].headers["x-api-key"] == "k"
    cloud.aws_events("disable-rule", "--name", "ping")
    described = cloud.aws_events("describe-rule", "--name", "ping")
    assert (described["ScheduleExpression"], described["State"]) == ("cron(* * * * ? *)", "DISABLED")
