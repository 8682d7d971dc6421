"""The control plane through boto3, raw HTTP and the real AWS CLI: buses, rules, targets, connections,
API destinations, TestEventPattern, and the wire protocol's own errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.aws_errors import error_of
from tests.support.eventbridge import Cloud, aws_cli, module_cloud
from vcn.eventbridge.model import LambdaTarget

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:Worker"
EVENT = {
    "id": "1",
    "account": "000000000000",
    "source": "vehicle-config.validation",
    "time": "2025-01-01T00:00:00Z",
    "region": "us-east-1",
    "detail-type": "ConfigurationValidated",
    "detail": {"market": "DE"},
}


cloud = module_cloud("eb-control")


def raw(cloud: Cloud, target: str | None, body: bytes) -> requests.Response:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    return requests.post(cloud.url + "/", data=body, headers=headers, timeout=10)


def test_unknown_operation_answers_unknown_operation_exception(cloud: Cloud) -> None:
    response = raw(cloud, "AWSEvents.PutPermissionToTheMoon", b"{}")
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


def test_malformed_json_answers_serialization_exception(cloud: Cloud) -> None:
    response = raw(cloud, "AWSEvents.ListRules", b'{"Name": ')
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
    assert response.headers["Content-Type"].startswith("application/x-amz-json-1.1")


def test_default_bus_always_exists_and_custom_buses_are_listed(events: Any) -> None:
    arn = events.create_event_bus(Name="vehicle-config")["EventBusArn"]
    assert arn == "arn:aws:events:us-east-1:000000000000:event-bus/vehicle-config"
    names = [bus["Name"] for bus in events.list_event_buses()["EventBuses"]]
    assert {"default", "vehicle-config"} <= set(names)
    assert events.describe_event_bus()["Name"] == "default"
    assert events.describe_event_bus(Name=arn)["Arn"] == arn
    with pytest.raises(ClientError) as raised:
        events.create_event_bus(Name="vehicle-config")
    assert error_of(raised) == ("ResourceAlreadyExistsException", "Event bus vehicle-config already exists.")
    with pytest.raises(ClientError) as raised:
        events.describe_event_bus(Name="nope")
    assert error_of(raised) == ("ResourceNotFoundException", "Event bus nope does not exist.")


def test_rule_arns_follow_aws_shapes_and_describe_returns_the_pattern(events: Any) -> None:
    events.create_event_bus(Name="arn-bus")
    pattern = json.dumps({"source": ["a"]})
    default_arn = events.put_rule(Name="on-default", EventPattern=pattern)["RuleArn"]
    custom_arn = events.put_rule(Name="on-custom", EventBusName="arn-bus", EventPattern=pattern)["RuleArn"]
    assert default_arn == "arn:aws:events:us-east-1:000000000000:rule/on-default"
    assert custom_arn == "arn:aws:events:us-east-1:000000000000:rule/arn-bus/on-custom"
    described = events.describe_rule(Name="on-custom", EventBusName="arn-bus")
    assert described["EventPattern"] == pattern
    assert described["State"] == "ENABLED"
    assert [rule["Name"] for rule in events.list_rules(EventBusName="arn-bus")["Rules"]] == ["on-custom"]
    with pytest.raises(ClientError) as raised:
        events.describe_rule(Name="missing", EventBusName="arn-bus")
    assert error_of(raised) == (
        "ResourceNotFoundException",
        "Rule missing does not exist on EventBus arn-bus.",
    )


def test_disable_and_enable_rule_change_its_state(events: Any) -> None:
    events.put_rule(Name="toggled", EventPattern='{"source": ["a"]}')
    events.disable_rule(Name="toggled")
    assert events.describe_rule(Name="toggled")["State"] == "DISABLED"
    events.enable_rule(Name="toggled")
    assert events.describe_rule(Name="toggled")["State"] == "ENABLED"


def test_delete_rule_fails_while_targets_remain(events: Any) -> None:
    events.put_rule(Name="with-target", EventPattern='{"source": ["a"]}')
    events.put_targets(Rule="with-target", Targets=[{"Id": "t1", "Arn": LAMBDA}])
    with pytest.raises(ClientError) as raised:
        events.delete_rule(Name="with-target")
    assert error_of(raised) == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule="with-target", Ids=["t1"])
    events.delete_rule(Name="with-target")
    assert "with-target" not in [rule["Name"] for rule in events.list_rules()["Rules"]]


def test_lambda_targets_name_the_rule_and_target_that_invoke_each_function(cloud: Cloud, events: Any) -> None:
    events.create_event_bus(Name="invokers")
    events.put_rule(Name="invokes", EventBusName="invokers", EventPattern='{"source": ["a"]}')
    queue = "arn:aws:sqs:us-east-1:000000000000:not-a-function"
    events.put_targets(
        Rule="invokes",
        EventBusName="invokers",
        Targets=[{"Id": "queue", "Arn": queue}, {"Id": "fn", "Arn": LAMBDA}],
    )
    on_bus = [t for t in cloud.service.resources.lambda_targets() if ":rule/invokers/" in t.rule_arn]
    rule_arn = "arn:aws:events:us-east-1:000000000000:rule/invokers/invokes"
    assert on_bus == [LambdaTarget(rule_arn, "fn", LAMBDA)]


def test_put_targets_round_trips_through_list_targets_by_rule(events: Any) -> None:
    events.put_rule(Name="listed", EventPattern='{"source": ["a"]}')
    target = {
        "Id": "t1",
        "Arn": LAMBDA,
        "InputTransformer": {"InputPathsMap": {"m": "$.detail.market"}, "InputTemplate": '{"market": <m>}'},
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
    }
    assert events.put_targets(Rule="listed", Targets=[target])["FailedEntryCount"] == 0
    assert events.list_targets_by_rule(Rule="listed")["Targets"] == [target]


def test_input_input_path_and_transformer_are_mutually_exclusive(events: Any) -> None:
    events.put_rule(Name="exclusive", EventPattern='{"source": ["a"]}')
    with pytest.raises(ClientError) as raised:
        events.put_targets(
            Rule="exclusive", Targets=[{"Id": "t", "Arn": LAMBDA, "Input": "{}", "InputPath": "$"}]
        )
    assert error_of(raised) == (
        "ValidationException",
        "Only one of Input, InputPath, or InputTransformer must be provided for target t.",
    )


def test_input_transformer_limits_are_enforced_with_the_model_constraints(events: Any) -> None:
    events.put_rule(Name="limits", EventPattern='{"source": ["a"]}')
    too_many = {f"v{i}": "$.detail" for i in range(101)}
    with pytest.raises(ClientError) as raised:
        events.put_targets(
            Rule="limits",
            Targets=[
                {
                    "Id": "t",
                    "Arn": LAMBDA,
                    "InputTransformer": {"InputPathsMap": too_many, "InputTemplate": "{}"},
                }
            ],
        )
    code, message = error_of(raised)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value '{v0=$.detail, v1=$.detail, ")
    assert message.endswith(
        "v100=$.detail}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Member must have length less than or equal to 100"
    )
    with pytest.raises(ClientError) as raised:
        events.put_targets(
            Rule="limits",
            Targets=[
                {"Id": "t", "Arn": LAMBDA, "InputTransformer": {"InputTemplate": '"' + "x" * 8200 + '"'}}
            ],
        )
    assert error_of(raised)[1].endswith(
        "at 'targets.1.member.inputTransformer.inputTemplate' failed to satisfy constraint: "
        "Member must have length less than or equal to 8192"
    )


def test_connection_description_never_contains_secrets(events: Any) -> None:
    arn = events.create_connection(
        Name="keyed",
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "top-secret"},
            "InvocationHttpParameters": {
                "HeaderParameters": [
                    {"Key": "x-public", "Value": "visible", "IsValueSecret": False},
                    {"Key": "x-private", "Value": "hidden-value", "IsValueSecret": True},
                ]
            },
        },
    )["ConnectionArn"]
    assert re.fullmatch(r"arn:aws:events:us-east-1:000000000000:connection/keyed/[0-9a-f-]{36}", arn)
    described = events.describe_connection(Name="keyed")
    assert described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    text = json.dumps(described, default=str)
    assert "top-secret" not in text and "hidden-value" not in text and "visible" in text
    events.create_connection(
        Name="oauth",
        AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={
            "OAuthParameters": {
                "ClientParameters": {"ClientID": "client", "ClientSecret": "client-secret"},
                "AuthorizationEndpoint": "https://idp.example.com/token",
                "HttpMethod": "POST",
            }
        },
    )
    oauth = events.describe_connection(Name="oauth")["AuthParameters"]["OAuthParameters"]
    assert oauth["ClientParameters"] == {"ClientID": "client"}
    assert "client-secret" not in json.dumps(oauth)


def test_api_destination_arn_and_description(events: Any) -> None:
    connection = events.create_connection(
        Name="basic",
        AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}},
    )["ConnectionArn"]
    arn = events.create_api_destination(
        Name="appsync",
        ConnectionArn=connection,
        InvocationEndpoint="http://127.0.0.1:4020/event",
        HttpMethod="POST",
        InvocationRateLimitPerSecond=50,
    )["ApiDestinationArn"]
    assert re.fullmatch(r"arn:aws:events:us-east-1:000000000000:api-destination/appsync/[0-9a-f-]{36}", arn)
    described = events.describe_api_destination(Name="appsync")
    assert described["InvocationEndpoint"] == "http://127.0.0.1:4020/event"
    assert described["InvocationRateLimitPerSecond"] == 50
    assert described["ConnectionArn"] == connection
    with pytest.raises(ClientError, match="https://"):
        events.create_api_destination(
            Name="plain-remote",
            ConnectionArn=connection,
            InvocationEndpoint="http://example.com/",
            HttpMethod="POST",
        )


def test_cli_test_event_pattern_answers_result(cloud: Cloud) -> None:
    matching = aws_cli(
        cloud.url,
        "test-event-pattern",
        "--event-pattern",
        json.dumps({"source": ["vehicle-config.validation"], "detail": {"market": ["DE"]}}),
        "--event",
        json.dumps(EVENT),
    )
    print(matching.stdout)
    assert matching.returncode == 0, matching.stderr
    assert matching.json() == {"Result": True}
    other = aws_cli(
        cloud.url,
        "test-event-pattern",
        "--event-pattern",
        '{"source": ["other"]}',
        "--event",
        json.dumps(EVENT),
    )
    assert other.json() == {"Result": False}


def test_cli_test_event_pattern_rejects_bad_events_and_patterns(cloud: Cloud) -> None:
    incomplete = {key: value for key, value in EVENT.items() if key != "account"}
    result = aws_cli(
        cloud.url,
        "test-event-pattern",
        "--event-pattern",
        '{"source": ["a"]}',
        "--event",
        json.dumps(incomplete),
    )
    assert result.returncode != 0
    assert "(ValidationException)" in result.stderr and "Parameter Event is not valid." in result.stderr
    result = aws_cli(cloud.url, "test-event-pattern", "--event-pattern", "[1]", "--event", json.dumps(EVENT))
    assert result.returncode != 0
    assert "(InvalidEventPatternException)" in result.stderr
    assert "Event pattern is not valid. Reason: " in result.stderr


def test_cli_put_rule_returns_rule_arn_and_rejects_invalid_patterns(cloud: Cloud) -> None:
    result = aws_cli(
        cloud.url,
        "put-rule",
        "--name",
        "cli-rule",
        "--event-pattern",
        '{"source": ["vehicle-config.validation"]}',
    )
    assert result.returncode == 0, result.stderr
    assert result.json() == {"RuleArn": "arn:aws:events:us-east-1:000000000000:rule/cli-rule"}
    result = aws_cli(cloud.url, "put-rule", "--name", "cli-bad", "--event-pattern", '{"source": "x"}')
    assert result.returncode != 0
    assert "(InvalidEventPatternException)" in result.stderr


def test_cli_put_targets_validates_placeholders_and_the_five_target_limit(
    cloud: Cloud, tmp_path: Path
) -> None:
    assert (
        aws_cli(
            cloud.url, "put-rule", "--name", "cli-targets", "--event-pattern", '{"source": ["a"]}'
        ).returncode
        == 0
    )
    bad = [
        {
            "Id": "t1",
            "Arn": LAMBDA,
            "InputTransformer": {"InputPathsMap": {}, "InputTemplate": '{"a": <nope>}'},
        }
    ]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    result = aws_cli(
        cloud.url, "put-targets", "--rule", "cli-targets", "--targets", "file://bad.json", cwd=tmp_path
    )
    assert result.returncode != 0
    assert "InputTemplate for target t1 contains invalid placeholder nope." in result.stderr
    five = [{"Id": f"t{i}", "Arn": LAMBDA} for i in range(5)]
    (tmp_path / "five.json").write_text(json.dumps(five))
    result = aws_cli(
        cloud.url, "put-targets", "--rule", "cli-targets", "--targets", "file://five.json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.json() == {"FailedEntryCount": 0, "FailedEntries": []}
    (tmp_path / "sixth.json").write_text(json.dumps([{"Id": "t5", "Arn": LAMBDA}]))
    result = aws_cli(
        cloud.url, "put-targets", "--rule", "cli-targets", "--targets", "file://sixth.json", cwd=tmp_path
    )
    assert result.returncode != 0
    assert "(LimitExceededException)" in result.stderr
