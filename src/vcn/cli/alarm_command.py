"""`vcn alarms`: each CloudWatch alarm with its state and the reason for it, locally or on a deployed stack.

Locally the states come from the running cloud (`GET /_vcn/alarms` on its operator port), with the start-up
warnings about alarms that can never see data. With `--stack`, the alarm names come from the stack's
resources and their states from CloudWatch's DescribeAlarms.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import requests

from vcn.cli.common import target_command
from vcn.cli.errors import CliError
from vcn.cli.target import default_state_dir, local_target

ALARMS_PATH = "/_vcn/alarms"
ALARM_RESOURCE = "AWS::CloudWatch::Alarm"
DESCRIBE_BATCH = 100  # DescribeAlarms takes at most 100 names per call
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


def _local_alarms(args: argparse.Namespace) -> dict[str, Any]:
    target = local_target(args.state_dir or default_state_dir())
    assert target.eventbridge_url is not None  # a local target always has it
    url = target.eventbridge_url.rstrip("/") + ALARMS_PATH
    try:
        response = requests.get(url, timeout=10)
    except requests.RequestException as exc:
        raise CliError(f"cannot read alarms at {url} ({exc}); is `vcn local up` running?") from None
    if response.status_code == 404:
        raise CliError(
            f"{url} does not exist: the running local cloud is older than `vcn alarms`; restart it"
        )
    if response.status_code != 200:
        raise CliError(f"{url} answered {response.status_code}: {response.text.strip()}")
    document: dict[str, Any] = response.json()
    return document


def stack_alarms(cloudformation: Any, cloudwatch: Any, stack: str) -> dict[str, Any]:
    """The alarms a stack declares, as DescribeAlarms reports them now."""
    names: list[str] = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] == ALARM_RESOURCE and resource.get("PhysicalResourceId"):
                names.append(resource["PhysicalResourceId"])
    alarms: list[dict[str, Any]] = []
    for start in range(0, len(names), DESCRIBE_BATCH):
        reply = cloudwatch.describe_alarms(AlarmNames=names[start : start + DESCRIBE_BATCH])
        alarms.extend(reply.get("MetricAlarms", []))
        alarms.extend(reply.get("CompositeAlarms", []))
    return {"MetricAlarms": alarms, "Warnings": []}


def _deployed_alarms(args: argparse.Namespace) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        session = boto3.session.Session(region_name=args.region)
        return stack_alarms(session.client("cloudformation"), session.client("cloudwatch"), args.stack)
    except NoRegionError:
        raise CliError(f"no AWS region for stack {args.stack!r}: pass --region or set AWS_REGION") from None
    except NoCredentialsError:
        raise CliError(
            "no AWS credentials found: configure the AWS CLI (aws configure) or set AWS_PROFILE"
        ) from None
    except ClientError as exc:
        raise CliError(
            f"cannot read the alarms of stack {args.stack!r}: {exc.response['Error']['Message']}"
        ) from None
    except BotoCoreError as exc:
        raise CliError(f"cannot reach AWS for stack {args.stack!r}: {exc}") from None


def format_alarms(alarms: list[dict[str, Any]]) -> list[str]:
    """One line per alarm: name, state, reason (names and states in aligned columns)."""
    if not alarms:
        return ["no alarms"]
    width = max(len(alarm["AlarmName"]) for alarm in alarms)
    return [
        f"{alarm['AlarmName']:<{width}}  {alarm.get('StateValue', '?'):<17}  {alarm.get('StateReason', '')}"
        for alarm in alarms
    ]


def run_alarms(args: argparse.Namespace) -> int:
    document = _deployed_alarms(args) if args.stack else _local_alarms(args)
    alarms = document.get("MetricAlarms", [])
    if args.state:
        alarms = [alarm for alarm in alarms if alarm.get("StateValue") == args.state]
    if args.json:
        print(json.dumps({**document, "MetricAlarms": alarms}, indent=2))
        return 0
    for line in format_alarms(alarms):
        print(line)
    for warning in document.get("Warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alarms = target_command(
        commands,
        "alarms",
        run_alarms,
        summary="list CloudWatch alarms with their state and reason",
        description="List the template's CloudWatch alarms: state (OK, ALARM, INSUFFICIENT_DATA) and the "
        "reason CloudWatch gives. Local cloud: evaluated locally, plus warnings about alarms that can never "
        "see data; --stack: DescribeAlarms for the alarms of the deployed stack.",
    )
    alarms.add_argument("--state", choices=STATES, help="only alarms in this state")
    alarms.add_argument("--json", action="store_true", help="print DescribeAlarms' JSON instead of lines")
