"""Template loader: `AWS::Scheduler::Schedule` becomes the Scheduler's own `ScheduleConfig`, and
`AWS::Events::Archive` a CreateArchive call; both are emulated, no longer listed as skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.templates import ORDERS_BUS, template, write_template
from vcn.scheduler import EventBridgeParameters, RetryPolicy, ScheduleConfig, ScheduleTarget
from vcn.template import LocalStack, TemplateError, load_stack

TEMPLATE = template(
    """
    Parameters:
      Retention: {Type: Number, Default: 7}
    """,
    ORDERS_BUS,
    """
    OrdersArchive:
      Type: AWS::Events::Archive
      Properties:
        ArchiveName: orders-archive
        SourceArn: !GetAtt OrdersBus.Arn
        RetentionDays: !Ref Retention
        Description: every order event
        EventPattern: {source: [shop.orders]}
    Nightly:
      Type: AWS::Scheduler::Schedule
      Properties:
        Name: nightly-report
        GroupName: !Ref Group
        ScheduleExpression: cron(0 2 * * ? *)
        ScheduleExpressionTimezone: Europe/Berlin
        StartDate: "2030-01-01T00:00:00Z"
        FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: "15"}
        Target:
          Arn: !GetAtt OrdersBus.Arn
          RoleArn: arn:aws:iam::000000000000:role/scheduler
          Input: {report: nightly}
          RetryPolicy: {MaximumRetryAttempts: "3", MaximumEventAgeInSeconds: 600}
          DeadLetterConfig: {Arn: arn:aws:sqs:us-east-1:000000000000:schedule-dlq}
          EventBridgeParameters: {Source: shop.scheduler, DetailType: NightlyReport}
    Once:
      Type: AWS::Scheduler::Schedule
      Properties:
        ScheduleExpression: at(2030-06-01T12:00:00)
        State: DISABLED
        FlexibleTimeWindow: {Mode: "OFF"}
        Target: {Arn: "arn:aws:lambda:us-east-1:000000000000:function:Worker", Input: '{"once": true}'}
    Group:
      Type: AWS::Scheduler::ScheduleGroup
      Properties: {Name: reports}
    """,
    outputs="""
    ScheduleArn: {Value: !GetAtt Nightly.Arn}
    ArchiveArn: {Value: !GetAtt OrdersArchive.Arn}
    """,
)


def load(tmp_path: Path, text: str = TEMPLATE) -> LocalStack:
    return load_stack(write_template(tmp_path, text))


def test_schedules_become_scheduler_configs(tmp_path: Path) -> None:
    stack = load(tmp_path)
    assert stack.schedules == [
        ScheduleConfig(
            name="nightly-report",
            arn="arn:aws:scheduler:us-east-1:000000000000:schedule/reports/nightly-report",
            expression="cron(0 2 * * ? *)",
            target=ScheduleTarget(
                arn="arn:aws:events:us-east-1:000000000000:event-bus/orders",
                input='{"report": "nightly"}',
                role_arn="arn:aws:iam::000000000000:role/scheduler",
                retry_policy=RetryPolicy(maximum_event_age_seconds=600, maximum_retry_attempts=3),
                dead_letter_arn="arn:aws:sqs:us-east-1:000000000000:schedule-dlq",
                event_bridge=EventBridgeParameters(source="shop.scheduler", detail_type="NightlyReport"),
            ),
            group="reports",
            timezone="Europe/Berlin",
            start_date=1893456000.0,
            flexible_window_mode="FLEXIBLE",
            flexible_window_minutes=15,
        ),
        ScheduleConfig(
            name="Once",
            arn="arn:aws:scheduler:us-east-1:000000000000:schedule/default/Once",
            expression="at(2030-06-01T12:00:00)",
            target=ScheduleTarget(
                arn="arn:aws:lambda:us-east-1:000000000000:function:Worker", input='{"once": true}'
            ),
            state="DISABLED",
        ),
    ]
    assert stack.outputs["ScheduleArn"] == stack.schedules[0].arn


def test_an_archive_becomes_a_create_archive_call_after_its_bus(tmp_path: Path) -> None:
    stack = load(tmp_path)
    operations = [operation for operation, _ in stack.eventbridge_calls]
    assert operations == ["CreateEventBus", "CreateArchive"]
    [(_, archive)] = [call for call in stack.eventbridge_calls if call[0] == "CreateArchive"]
    assert archive == {
        "ArchiveName": "orders-archive",
        "EventSourceArn": "arn:aws:events:us-east-1:000000000000:event-bus/orders",
        "Description": "every order event",
        "EventPattern": json.dumps({"source": ["shop.orders"]}, separators=(",", ":")),
        "RetentionDays": 7,
    }
    assert stack.outputs["ArchiveArn"] == "arn:aws:events:us-east-1:000000000000:archive/orders-archive"


def test_schedules_archives_and_groups_are_emulated(tmp_path: Path) -> None:
    assert load(tmp_path).unsupported == []


WINDOW = {"Mode": "OFF"}
TARGET = {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:Worker"}


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"ScheduleExpression": "rate(1 hour)", "Target": TARGET}, "FlexibleTimeWindow: is required"),
        ({"FlexibleTimeWindow": WINDOW, "Target": TARGET}, "ScheduleExpression: is required"),
        ({"ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": WINDOW}, "Target: is required"),
        (
            {
                "ScheduleExpression": "rate(1 hour)",
                "FlexibleTimeWindow": WINDOW,
                "Target": TARGET,
                "EndDate": "soon",
            },
            "property EndDate: 'soon' is not an ISO 8601 date",
        ),
    ],
)
def test_a_schedule_missing_what_it_needs_is_named(
    tmp_path: Path, properties: dict[str, object], message: str
) -> None:
    resource = {"Type": "AWS::Scheduler::Schedule", "Properties": properties}
    with pytest.raises(TemplateError) as refused:
        load(tmp_path, json.dumps({"Resources": {"Report": resource}}))  # JSON is YAML
    assert "resource Report" in str(refused.value) and message in str(refused.value)
