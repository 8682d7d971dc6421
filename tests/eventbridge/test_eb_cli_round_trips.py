"""The real AWS CLI (`aws events ...`) against the local EventBridge: create, tag, list, describe, update and
delete for each resource kind, as a user scripts them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.eventbridge import Cloud, aws_cli, module_cloud

pytestmark = pytest.mark.slow

ACCOUNT = "000000000000"
LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Worker"


cloud = module_cloud("eb-cli")


def cli(cloud: Cloud, *args: str) -> Any:
    result = aws_cli(cloud.url, *args)
    assert result.returncode == 0, result.stderr
    return result.json() if result.stdout.strip() else None


def cli_error(cloud: Cloud, *args: str) -> str:
    result = aws_cli(cloud.url, *args)
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_event_bus_round_trip(cloud: Cloud) -> None:
    created = cli(cloud, "create-event-bus", "--name", "cli-bus", "--description", "first")
    assert created == {
        "EventBusArn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/cli-bus",
        "Description": "first",
    }
    arn = created["EventBusArn"]
    cli(cloud, "tag-resource", "--resource-arn", arn, "--tags", "Key=team,Value=config")
    assert cli(cloud, "list-tags-for-resource", "--resource-arn", arn) == {
        "Tags": [{"Key": "team", "Value": "config"}]
    }
    listed = cli(cloud, "list-event-buses", "--name-prefix", "cli-")
    assert [bus["Name"] for bus in listed["EventBuses"]] == ["cli-bus"]
    assert cli(cloud, "describe-event-bus", "--name", "cli-bus")["Description"] == "first"
    updated = cli(cloud, "update-event-bus", "--name", "cli-bus", "--description", "second")
    assert updated["Description"] == "second" and updated["Arn"] == arn
    cli(cloud, "untag-resource", "--resource-arn", arn, "--tag-keys", "team")
    assert cli(cloud, "list-tags-for-resource", "--resource-arn", arn) == {"Tags": []}
    cli(cloud, "delete-event-bus", "--name", "cli-bus")
    assert "(ResourceNotFoundException)" in cli_error(cloud, "describe-event-bus", "--name", "cli-bus")
    assert "Cannot delete event bus default." in cli_error(cloud, "delete-event-bus", "--name", "default")


def test_rule_and_target_round_trip(cloud: Cloud) -> None:
    pattern = json.dumps({"source": ["cli.app"]})
    arn = cli(cloud, "put-rule", "--name", "cli-rule", "--event-pattern", pattern)["RuleArn"]
    cli(cloud, "tag-resource", "--resource-arn", arn, "--tags", "Key=owner,Value=me")
    assert cli(cloud, "list-tags-for-resource", "--resource-arn", arn)["Tags"] == [
        {"Key": "owner", "Value": "me"}
    ]
    cli(cloud, "put-targets", "--rule", "cli-rule", "--targets", f"Id=fn,Arn={LAMBDA}")
    assert cli(cloud, "list-targets-by-rule", "--rule", "cli-rule")["Targets"] == [
        {"Id": "fn", "Arn": LAMBDA}
    ]
    assert cli(cloud, "list-rule-names-by-target", "--target-arn", LAMBDA)["RuleNames"] == ["cli-rule"]
    assert [rule["Name"] for rule in cli(cloud, "list-rules", "--name-prefix", "cli-")["Rules"]] == [
        "cli-rule"
    ]
    cli(cloud, "put-rule", "--name", "cli-rule", "--event-pattern", pattern, "--description", "updated")
    cli(cloud, "disable-rule", "--name", "cli-rule")
    described = cli(cloud, "describe-rule", "--name", "cli-rule")
    assert (described["Description"], described["State"], described["EventPattern"]) == (
        "updated",
        "DISABLED",
        pattern,
    )
    cli(cloud, "put-targets", "--rule", "cli-rule", "--targets", f"Id=fn,Arn={LAMBDA},Input='{{\"a\":1}}'")
    assert cli(cloud, "list-targets-by-rule", "--rule", "cli-rule")["Targets"][0]["Input"] == '{"a":1}'
    assert "Rule can't be deleted since it has targets." in cli_error(
        cloud, "delete-rule", "--name", "cli-rule"
    )
    cli(cloud, "remove-targets", "--rule", "cli-rule", "--ids", "fn")
    cli(cloud, "delete-rule", "--name", "cli-rule")
    assert "Rule cli-rule does not exist on EventBus default." in cli_error(
        cloud, "describe-rule", "--name", "cli-rule"
    )


def test_connection_round_trip(cloud: Cloud) -> None:
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "cli-secret"}}
    created = cli(
        cloud,
        "create-connection",
        "--name", "cli-connection",
        "--authorization-type", "API_KEY",
        "--auth-parameters", json.dumps(auth),
    )  # fmt: skip
    assert created["ConnectionState"] == "AUTHORIZED"
    listed = cli(cloud, "list-connections", "--name-prefix", "cli-")["Connections"]
    assert [(c["Name"], c["ConnectionArn"]) for c in listed] == [("cli-connection", created["ConnectionArn"])]
    updated = cli(
        cloud,
        "update-connection",
        "--name", "cli-connection",
        "--description", "rotated",
        "--auth-parameters", json.dumps({"ApiKeyAuthParameters": {"ApiKeyValue": "cli-secret-2"}}),
    )  # fmt: skip
    assert updated["ConnectionArn"] == created["ConnectionArn"]
    described = cli(cloud, "describe-connection", "--name", "cli-connection")
    assert described["Description"] == "rotated"
    assert "cli-secret" not in json.dumps(described)
    assert (
        cli(cloud, "deauthorize-connection", "--name", "cli-connection")["ConnectionState"] == "DEAUTHORIZING"
    )
    assert cli(cloud, "describe-connection", "--name", "cli-connection")["ConnectionState"] == "DEAUTHORIZED"
    assert cli(cloud, "delete-connection", "--name", "cli-connection")["ConnectionState"] == "DELETING"
    assert "(ResourceNotFoundException)" in cli_error(
        cloud, "describe-connection", "--name", "cli-connection"
    )


def test_api_destination_round_trip(cloud: Cloud) -> None:
    auth = {"BasicAuthParameters": {"Username": "user", "Password": "pw"}}
    connection = cli(
        cloud, "create-connection", "--name", "cli-basic", "--authorization-type", "BASIC",
        "--auth-parameters", json.dumps(auth),
    )["ConnectionArn"]  # fmt: skip
    # The CLI would fetch an https:// argument value (its URL parameter files), so the request goes as JSON.
    request = {
        "Name": "cli-destination",
        "ConnectionArn": connection,
        "InvocationEndpoint": "https://example.com/hook",
        "HttpMethod": "POST",
    }
    created = cli(cloud, "create-api-destination", "--cli-input-json", json.dumps(request))
    assert created["ApiDestinationState"] == "ACTIVE"
    listed = cli(cloud, "list-api-destinations", "--connection-arn", connection)["ApiDestinations"]
    assert [d["ApiDestinationArn"] for d in listed] == [created["ApiDestinationArn"]]
    cli(
        cloud,
        "update-api-destination",
        "--name", "cli-destination",
        "--invocation-rate-limit-per-second", "5",
        "--http-method", "PUT",
    )  # fmt: skip
    described = cli(cloud, "describe-api-destination", "--name", "cli-destination")
    assert (described["InvocationRateLimitPerSecond"], described["HttpMethod"]) == (5, "PUT")
    cli(cloud, "delete-api-destination", "--name", "cli-destination")
    assert "(ResourceNotFoundException)" in cli_error(
        cloud, "describe-api-destination", "--name", "cli-destination"
    )


def test_cli_shows_validation_errors_and_unsupported_operations(cloud: Cloud) -> None:
    stderr = cli_error(cloud, "describe-rule", "--name", "not valid")
    assert (
        "An error occurred (ValidationException) when calling the DescribeRule operation: 1 validation error "
        "detected: Value 'not valid' at 'name' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [\\.\\-_A-Za-z0-9]+"
    ) in stderr
    stderr = cli_error(cloud, "list-endpoints")
    assert "(UnsupportedOperation) when calling the ListEndpoints operation" in stderr
    assert "does not support ListEndpoints" in stderr
