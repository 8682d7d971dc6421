"""`vcn alarms --stack`: alarm names from the stack's resources, states from DescribeAlarms, one line each.

CloudFormation and CloudWatch cannot run locally, so their answers are recorded with botocore's Stubber (the
real clients, validated against the service models) instead of live calls. The local path runs against a
real local cloud in tests/e2e/test_e2e_alarms.py.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from vcn.cli.alarm_command import format_alarms, stack_alarms


def clients() -> tuple[Any, Any]:
    session = boto3.session.Session(
        region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return session.client("cloudformation"), session.client("cloudwatch")


def summary(logical_id: str, resource_type: str, physical_id: str) -> dict[str, Any]:
    return {
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": physical_id,
        "ResourceType": resource_type,
        "LastUpdatedTimestamp": "2026-11-22T00:00:00Z",
        "ResourceStatus": "CREATE_COMPLETE",
    }


def alarm(name: str, state: str, reason: str) -> dict[str, Any]:
    return {"AlarmName": name, "StateValue": state, "StateReason": reason}


def test_stack_alarms_are_the_stacks_alarm_resources_described() -> None:
    cloudformation, cloudwatch = clients()
    with Stubber(cloudformation) as stack_stub, Stubber(cloudwatch) as alarm_stub:
        stack_stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    summary("Bus", "AWS::Events::EventBus", "vehicle-config"),
                    summary("DlqAlarm", "AWS::CloudWatch::Alarm", "vcn-DlqAlarm-1A2B3C"),
                ],
                "NextToken": "page-2",
            },
            {"StackName": "vcn"},
        )
        stack_stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    summary("RuleAlarm", "AWS::CloudWatch::Alarm", "vcn-RuleAlarm-4D5E6F")
                ]
            },
            {"StackName": "vcn", "NextToken": "page-2"},
        )
        alarm_stub.add_response(
            "describe_alarms",
            {
                "MetricAlarms": [
                    alarm("vcn-DlqAlarm-1A2B3C", "OK", "Threshold Crossed: no datapoints were received"),
                    alarm("vcn-RuleAlarm-4D5E6F", "ALARM", "Threshold Crossed: 1 datapoint [3.0"),
                ]
            },
            {"AlarmNames": ["vcn-DlqAlarm-1A2B3C", "vcn-RuleAlarm-4D5E6F"]},
        )
        document = stack_alarms(cloudformation, cloudwatch, "vcn")
        stack_stub.assert_no_pending_responses()
        alarm_stub.assert_no_pending_responses()
    assert [a["AlarmName"] for a in document["MetricAlarms"]] == [
        "vcn-DlqAlarm-1A2B3C",
        "vcn-RuleAlarm-4D5E6F",
    ]
    assert format_alarms(document["MetricAlarms"]) == [
        "vcn-DlqAlarm-1A2B3C   OK                 Threshold Crossed: no datapoints were received",
        "vcn-RuleAlarm-4D5E6F  ALARM              Threshold Crossed: 1 datapoint [3.0",
    ]


def test_a_stack_without_alarms_describes_none() -> None:
    cloudformation, cloudwatch = clients()
    with Stubber(cloudformation) as stack_stub, Stubber(cloudwatch):
        stack_stub.add_response("list_stack_resources", {"StackResourceSummaries": []}, {"StackName": "vcn"})
        document = stack_alarms(cloudformation, cloudwatch, "vcn")
    assert document == {"MetricAlarms": [], "Warnings": []}
    assert format_alarms([]) == ["no alarms"]
