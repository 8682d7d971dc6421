"""Scheduled rules: ScheduleExpression validated as AWS validates it, and each enabled scheduled rule
firing on its clock with AWS's scheduled event, through the ordinary dispatch (transformation, retries,
dead letters)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.clock import ManualClock
from tests.support.eventbridge import (
    EVENT_MEMBERS,
    FAST,
    Cloud,
    CloudFactory,
    Reply,
    aws_cli,
    events_client,
    sink_destination,
)
from tests.support.invokers import CallableInvoker
from vcn.eventbridge.scheduled_rules import TICKS_FILE

WORKER = "arn:aws:lambda:us-east-1:000000000000:function:Worker"
RULE_ARN = "arn:aws:events:us-east-1:000000000000:rule/tick"
DLQ_ARN = "arn:aws:sqs:us-east-1:000000000000:schedule-dlq"
START = "2025-03-01T13:00:20+00:00"


class Scheduled:
    """A local EventBridge on a manual clock, its Lambda 'Worker' recording what it receives."""

    def __init__(self, clouds: CloudFactory, state_dir: Path, clock: ManualClock | None = None) -> None:
        self.clock = clock or ManualClock(START)
        self.payloads: list[Any] = []
        self.cloud: Cloud = clouds(
            state_dir, FAST, CallableInvoker({"Worker": self.payloads.append}), self.clock
        )

    def rule(self, expression: str, name: str = "tick", **extra: Any) -> str:
        arn = self.cloud.call("PutRule", {"Name": name, "ScheduleExpression": expression, **extra})["RuleArn"]
        self.cloud.call("PutTargets", {"Rule": name, "Targets": [{"Id": "fn", "Arn": WORKER}]})
        return str(arn)

    def advance(self, seconds: float, expect: int) -> list[Any]:
        """Move the clock by whole minutes, waiting at each step for what fires then."""
        for _ in range(int(seconds // 60)):
            self.clock.advance(60)
            self.cloud.wait_until(lambda: True)  # let the loop run the timetable
        self.cloud.wait_until(lambda: len(self.payloads) >= expect)
        self.cloud.idle()
        return self.payloads


@pytest.mark.parametrize(
    "expression",
    ["cron(INVALID)", "rate(10 seconds)", "rate(1 minutes)", "rate(5 minute)", "cron(0 12 * * * *)",
     "cron(0 12 ? * ? *)", "cron(0 0 ? * 8 *)", "at(2030-01-01T00:00:00)", ""],
)  # fmt: skip
def test_invalid_schedule_expression_is_refused_with_aws_message(
    clouds: CloudFactory, tmp_path: Path, expression: str
) -> None:
    cloud = clouds(tmp_path)
    with pytest.raises(ClientError) as refused:
        events_client(cloud.url).put_rule(Name="tick", ScheduleExpression=expression)
    assert refused.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Parameter ScheduleExpression is not valid.",
    }
    assert cloud.call("ListRules", {})["Rules"] == []


@pytest.mark.parametrize(
    "expression",
    ["rate(1 minute)", "rate(15 minutes)", "rate(1 day)", "cron(0 18 ? * MON-FRI *)",
     "cron(0/15 8-17 ? * 2#1 2025-2030)", "cron(0 0 LW * ? *)", "cron(30 6 1W JAN-MAR ? *)"],
)  # fmt: skip
def test_valid_expression_is_stored_and_described(
    clouds: CloudFactory, tmp_path: Path, expression: str
) -> None:
    cloud = clouds(tmp_path)
    events = events_client(cloud.url)
    events.put_rule(Name="tick", ScheduleExpression=expression)
    assert events.describe_rule(Name="tick")["ScheduleExpression"] == expression


def test_the_aws_cli_puts_a_scheduled_rule_and_reads_the_refusal(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    cloud = clouds(tmp_path)
    put = aws_cli(cloud.url, "put-rule", "--name", "nightly", "--schedule-expression", "cron(0 2 * * ? *)")
    assert put.returncode == 0, put.stderr
    assert put.json() == {"RuleArn": "arn:aws:events:us-east-1:000000000000:rule/nightly"}
    refused = aws_cli(cloud.url, "put-rule", "--name", "bad", "--schedule-expression", "rate(10 seconds)")
    assert refused.returncode != 0
    assert (
        "ValidationException" in refused.stderr
        and "Parameter ScheduleExpression is not valid." in refused.stderr
    )


def test_schedules_run_only_on_the_default_bus(clouds: CloudFactory, tmp_path: Path) -> None:
    cloud = clouds(tmp_path)
    cloud.call("CreateEventBus", {"Name": "orders"})
    with pytest.raises(ClientError) as refused:
        events_client(cloud.url).put_rule(
            Name="t", EventBusName="orders", ScheduleExpression="rate(1 minute)"
        )
    assert (
        refused.value.response["Error"]["Message"]
        == "ScheduleExpression is supported only on the default event bus."
    )


def test_scheduled_rule_delivers_the_scheduled_event_on_each_tick(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    scheduled = Scheduled(clouds, tmp_path)
    assert scheduled.rule("rate(1 minute)") == RULE_ARN
    received = scheduled.advance(3 * 60, expect=3)
    assert [event["time"] for event in received] == [
        "2025-03-01T13:01:20Z",
        "2025-03-01T13:02:20Z",
        "2025-03-01T13:03:20Z",
    ]
    first = received[0]
    assert list(first) == EVENT_MEMBERS
    assert {k: v for k, v in first.items() if k not in ("id", "time")} == {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "region": "us-east-1",
        "resources": [RULE_ARN],
        "detail": {},
    }
    assert len({event["id"] for event in received}) == 3
    assert scheduled.cloud.service.metrics.get(RULE_ARN, "fn", "Invocations") == 3


def test_cron_rule_fires_on_its_minutes(clouds: CloudFactory, tmp_path: Path) -> None:
    scheduled = Scheduled(clouds, tmp_path)
    scheduled.rule("cron(0/5 * * * ? *)")
    received = scheduled.advance(11 * 60, expect=2)
    assert [event["time"] for event in received] == ["2025-03-01T13:05:00Z", "2025-03-01T13:10:00Z"]


def test_a_rule_with_a_pattern_and_a_schedule_fires_on_both(clouds: CloudFactory, tmp_path: Path) -> None:
    scheduled = Scheduled(clouds, tmp_path)
    scheduled.rule("rate(1 minute)", EventPattern=json.dumps({"source": ["shop"]}))
    scheduled.cloud.call("PutEvents", {"Entries": [{"Source": "shop", "DetailType": "x", "Detail": "{}"}]})
    received = scheduled.advance(60, expect=2)
    assert sorted(event["source"] for event in received) == ["aws.events", "shop"]


def test_disabled_rules_do_not_fire_and_deleted_rules_stop(clouds: CloudFactory, tmp_path: Path) -> None:
    scheduled = Scheduled(clouds, tmp_path)
    cloud = scheduled.cloud
    scheduled.rule("rate(1 minute)", State="DISABLED")
    assert scheduled.advance(3 * 60, expect=0) == []
    cloud.call("EnableRule", {"Name": "tick"})
    assert len(scheduled.advance(60, expect=1)) == 1
    cloud.call("DisableRule", {"Name": "tick"})
    assert len(scheduled.advance(2 * 60, expect=1)) == 1
    cloud.call("EnableRule", {"Name": "tick"})
    assert len(scheduled.advance(60, expect=2)) == 2
    cloud.call("RemoveTargets", {"Rule": "tick", "Ids": ["fn"]})
    cloud.call("DeleteRule", {"Name": "tick"})
    assert len(scheduled.advance(3 * 60, expect=2)) == 2
    assert cloud.service.schedules.timetable.planned() == {}


def test_scheduled_event_goes_through_transformation_retries_and_dead_letters(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    cloud = clouds(tmp_path, FAST, None, clock)
    destination = sink_destination(cloud)
    cloud.call("PutRule", {"Name": "tick", "ScheduleExpression": "rate(1 minute)"})
    target = {
        "Id": "sink",
        "Arn": destination,
        "InputTransformer": {
            "InputPathsMap": {"rule": "$.resources[0]", "at": "$.time"},
            "InputTemplate": '{"rule": <rule>, "at": <at>}',
        },
        "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": DLQ_ARN},
    }
    cloud.call("PutTargets", {"Rule": "tick", "Targets": [target]})
    cloud.sink.script(Reply(500), Reply(200), Reply(500), Reply(500))
    clock.advance(60)
    cloud.loop.run(cloud.sink.wait_for(2))
    assert [request.json() for request in cloud.sink.received] == [
        {"rule": RULE_ARN, "at": "2025-03-01T13:01:20Z"}
    ] * 2
    clock.advance(60)
    cloud.wait_until(lambda: len(cloud.service.dead_letters.list()) == 1)
    [message] = cloud.service.dead_letters.list()
    assert (
        message.event["detail-type"] == "Scheduled Event" and message.event["time"] == "2025-03-01T13:02:20Z"
    )
    assert message.attributes["RULE_ARN"] == RULE_ARN
    assert message.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"


def test_a_restart_neither_fires_a_tick_twice_nor_moves_the_rate(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    first = Scheduled(clouds, tmp_path / "state", clock)
    first.rule("rate(5 minutes)")
    first.advance(5 * 60, expect=1)
    first.cloud.loop.run(first.cloud.server.stop(grace_seconds=0.5))
    clock.advance(-10)  # restarted just before the tick it already fired, by the clock's reading
    second = Scheduled(clouds, tmp_path / "state", clock)  # the rule comes back from the state folder
    assert second.cloud.service.schedules.timetable.planned() == {RULE_ARN: at("13:10:20")}
    received = second.advance(6 * 60, expect=1)
    assert [event["time"] for event in received] == ["2025-03-01T13:10:20Z"]
    remembered = json.loads((tmp_path / "state" / TICKS_FILE).read_text())["schedules"][RULE_ARN]
    assert remembered["expression"] == "rate(5 minutes)"


def at(hhmmss: str) -> float:
    return datetime.fromisoformat(f"2025-03-01T{hhmmss}+00:00").timestamp()
