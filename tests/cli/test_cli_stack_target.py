"""`--stack <name>`: endpoints come from the CloudFormation outputs of a deployed stack.

CloudFormation cannot run locally, so its answers are recorded with botocore's Stubber (the real client,
validated against the service model) instead of a live call.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from app_profile import PROFILE
from vcn.cli.errors import CliError
from vcn.cli.ops_commands import _stack_queue_urls
from vcn.cli.target import Target, stack_target

OUTPUTS = {
    "EventsHttpEndpoint": "https://abc.appsync-api.eu-central-1.amazonaws.com/event",
    "EventsRealtimeEndpoint": "wss://abc.appsync-realtime-api.eu-central-1.amazonaws.com/event/realtime",
    "EventBusName": "vehicle-config",
    "ConfigurationApiUrl": "https://k3x9v2m1qa.execute-api.eu-central-1.amazonaws.com",
}


def _client(outputs: dict[str, str] | None = None, error: str | None = None) -> tuple[Any, Stubber]:
    client = boto3.session.Session(
        region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    ).client("cloudformation")
    stubber = Stubber(client)
    if error:
        stubber.add_client_error(
            "describe_stacks", "ValidationError", error, expected_params={"StackName": "vcn"}
        )
    else:
        stack = {
            "StackName": "vcn",
            "CreationTime": "2026-11-22T00:00:00Z",
            "StackStatus": "UPDATE_COMPLETE",
            "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in (outputs or {}).items()],
        }
        stubber.add_response("describe_stacks", {"Stacks": [stack]}, expected_params={"StackName": "vcn"})
    stubber.activate()
    return client, stubber


def test_endpoints_come_from_the_stack_outputs() -> None:
    client, stubber = _client(OUTPUTS)
    target = stack_target("vcn", PROFILE.stack_outputs, cloudformation=client)
    stubber.assert_no_pending_responses()
    assert (target.label, target.region, target.bus_name) == ("stack vcn", "eu-central-1", "vehicle-config")
    assert target.appsync_http == OUTPUTS["EventsHttpEndpoint"]
    assert target.appsync_realtime == OUTPUTS["EventsRealtimeEndpoint"]
    assert target.api_key is None and target.eventbridge_url is None and not target.is_local


def test_missing_stack_and_missing_outputs_are_clear_errors() -> None:
    client, _ = _client(error="Stack with id vcn does not exist")
    with pytest.raises(CliError, match="cannot read stack 'vcn': Stack with id vcn does not exist"):
        stack_target("vcn", PROFILE.stack_outputs, cloudformation=client)
    client, _ = _client({"EventBusName": "vehicle-config"})
    with pytest.raises(CliError, match=r"has no output\(s\) EventsHttpEndpoint, EventsRealtimeEndpoint"):
        stack_target("vcn", PROFILE.stack_outputs, cloudformation=client)


def test_a_project_without_profile_cannot_name_its_outputs() -> None:
    client, _ = _client(OUTPUTS)
    with pytest.raises(CliError, match="no app profile naming its stack outputs"):
        stack_target("vcn", None, cloudformation=client)


def test_a_dead_letter_queue_the_stack_does_not_have_is_named_as_missing() -> None:
    queue_url = "https://sqs.eu-central-1.amazonaws.com/123456789012/vcn-NotificationDlq-AbC"
    target = Target(
        label="stack vcn",
        region="eu-central-1",
        bus_name="vehicle-config",
        appsync_http=OUTPUTS["EventsHttpEndpoint"],
        appsync_realtime=OUTPUTS["EventsRealtimeEndpoint"],
        outputs={**OUTPUTS, "NotificationDeadLetterQueueUrl": queue_url},
    )
    names = ("NotificationDeadLetterQueueUrl", "ValidationDeadLetterQueueUrl")  # the second is not deployed
    assert _stack_queue_urls(target, None, names) == {"vcn-NotificationDlq-AbC": queue_url}
    assert _stack_queue_urls(target, "vcn-NotificationDlq-AbC", names) == {
        "vcn-NotificationDlq-AbC": queue_url
    }
    with pytest.raises(CliError) as refused:
        _stack_queue_urls(target, "vcn-NotificationDlq", names)
    assert str(refused.value) == (
        "no dead-letter queue vcn-NotificationDlq in stack vcn; its queues: vcn-NotificationDlq-AbC"
    )
