"""Request validation generated from botocore's model: every constraint kind in AWS's message format, member
paths as AWS writes them, all violations at once, values printed as the service prints them, and nothing
changed by a request that fails."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.eventbridge import Cloud, module_cloud
from vcn.eventbridge.errors import EventBridgeError

NAME_PATTERN = "[\\.\\-_A-Za-z0-9]+"
LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:Worker"
API_KEY_AUTH = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret-value"}}


cloud = module_cloud("eb-validation")


def refused(cloud: Cloud, operation: str, request: dict[str, Any]) -> EventBridgeError:
    with pytest.raises(EventBridgeError) as raised:
        cloud.call(operation, request)
    return raised.value


def validation_message(cloud: Cloud, operation: str, request: dict[str, Any]) -> str:
    error = refused(cloud, operation, request)
    assert error.code == "ValidationException", error
    return error.message


def test_a_missing_required_member_is_null(cloud: Cloud) -> None:
    assert validation_message(cloud, "DescribeRule", {}) == (
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_every_violation_is_reported_in_model_order(cloud: Cloud) -> None:
    message = validation_message(
        cloud,
        "PutTargets",
        {
            "Targets": [
                {"Id": "ok", "Arn": LAMBDA},
                {"Id": "not ok", "Arn": LAMBDA, "RetryPolicy": {"MaximumRetryAttempts": 186}},
            ]
        },
    )
    assert message == (
        "3 validation errors detected: "
        "Value null at 'rule' failed to satisfy constraint: Member must not be null; "
        f"Value 'not ok' at 'targets.2.member.id' failed to satisfy constraint: Member must satisfy regular "
        f"expression pattern: {NAME_PATTERN}; "
        "Value '186' at 'targets.2.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: "
        "Member must have value less than or equal to 185"
    )


def test_a_value_breaking_length_and_pattern_gets_a_clause_for_each(cloud: Cloud) -> None:
    name = "x" * 64 + "!"
    assert validation_message(cloud, "PutRule", {"Name": name, "EventPattern": "{}"}) == (
        "2 validation errors detected: "
        f"Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal "
        "to 64; "
        f"Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression "
        f"pattern: {NAME_PATTERN}"
    )


def test_an_empty_name_is_too_short_and_breaks_the_pattern(cloud: Cloud) -> None:
    assert validation_message(cloud, "DeleteRule", {"Name": ""}) == (
        "2 validation errors detected: "
        "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal "
        "to 1; "
        f"Value '' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        f"{NAME_PATTERN}"
    )


def test_enum_values_are_listed_in_model_order(cloud: Cloud) -> None:
    message = validation_message(
        cloud, "CreateConnection", {"Name": "c", "AuthorizationType": "TOKEN", "AuthParameters": API_KEY_AUTH}
    )
    assert message == (
        "1 validation error detected: Value 'TOKEN' at 'authorizationType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]"
    )


def test_numeric_ranges_and_list_sizes(cloud: Cloud) -> None:
    assert validation_message(cloud, "ListRules", {"Limit": 101}) == (
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )
    assert validation_message(cloud, "RemoveTargets", {"Rule": "r", "Ids": []}) == (
        "1 validation error detected: Value '[]' at 'ids' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_list_items_are_numbered_from_one_with_member(cloud: Cloud) -> None:
    message = validation_message(cloud, "RemoveTargets", {"Rule": "r", "Ids": ["a", "b c"]})
    assert message == (
        "1 validation error detected: Value 'b c' at 'ids.2.member' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_put_events_entries_print_as_the_service_prints_its_model_objects(cloud: Cloud) -> None:
    entry = {"Source": "app", "DetailType": "Tested", "Detail": '{"a":1}', "Resources": ["r1", "r2"]}
    message = validation_message(cloud, "PutEvents", {"Entries": [entry] * 11})
    printed = (
        "PutEventsRequestEntry(time=null, source=app, resources=[r1, r2], detailType=Tested, "
        'detail={"a":1}, eventBusName=null, traceHeader=null)'
    )
    assert message == (
        f"1 validation error detected: Value '[{', '.join([printed] * 11)}]' at 'entries' failed to satisfy "
        "constraint: Member must have length less than or equal to 10"
    )


def test_map_keys_are_one_clause(cloud: Cloud) -> None:
    cloud.call("PutRule", {"Name": "mapped", "EventPattern": '{"source": ["a"]}'})
    transformer = {"InputPathsMap": {"good": "$.detail", "bad key": "$.id"}, "InputTemplate": '"<good>"'}
    message = validation_message(
        cloud,
        "PutTargets",
        {"Rule": "mapped", "Targets": [{"Id": "t", "Arn": LAMBDA, "InputTransformer": transformer}]},
    )
    assert message == (
        "1 validation error detected: Value '{good=$.detail, bad key=$.id}' at "
        "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Map keys must satisfy constraint: "
        "[Member must satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]"
    )


def test_a_sensitive_value_is_never_printed(cloud: Cloud) -> None:
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "top:secret"}}
    message = validation_message(
        cloud, "CreateConnection", {"Name": "c", "AuthorizationType": "API_KEY", "AuthParameters": auth}
    )
    assert message.startswith(
        "1 validation error detected: Value at 'authParameters.apiKeyAuthParameters.apiKeyValue' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
    )
    assert "top:secret" not in message


def test_patterns_are_java_patterns_matched_against_the_whole_value(cloud: Cloud) -> None:
    # Java's `.` stops at a line break, so `.*` refuses a two-line description.
    message = validation_message(
        cloud,
        "CreateConnection",
        {
            "Name": "c",
            "Description": "two\nlines",
            "AuthorizationType": "API_KEY",
            "AuthParameters": API_KEY_AUTH,
        },
    )
    assert message == (
        "1 validation error detected: Value 'two\nlines' at 'description' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: .*"
    )
    # A partial match is not enough: the name pattern has no anchors, yet `a b` fails it.
    assert "Member must satisfy regular expression pattern" in validation_message(
        cloud, "DescribeConnection", {"Name": "a b"}
    )


def test_lengths_count_utf16_code_units_as_java_does(cloud: Cloud) -> None:
    description = "\U0001f600" * 256  # 256 characters, 512 UTF-16 units: exactly the limit
    cloud.call("PutRule", {"Name": "emoji", "EventPattern": '{"source": ["a"]}', "Description": description})
    message = validation_message(
        cloud,
        "PutRule",
        {"Name": "emoji", "EventPattern": '{"source": ["a"]}', "Description": description + "x"},
    )
    assert message.endswith("Member must have length less than or equal to 512")


def test_a_member_of_the_wrong_json_type_is_a_serialization_exception(cloud: Cloud) -> None:
    error = refused(cloud, "PutTargets", {"Rule": "r", "Targets": {"Id": "t"}})
    assert error.code == "SerializationException"
    assert (
        error.message == "Cannot read 'targets': expected a list (TargetList) but the request has an object."
    )
    error = refused(cloud, "ListRules", {"Limit": "10"})
    assert (error.code, error.message) == (
        "SerializationException",
        "Cannot read 'limit': expected an integer (LimitMax100) but the request has a string.",
    )
    assert refused(cloud, "PutRule", {"Name": "r", "EventPattern": {"source": ["a"]}}).code == (
        "SerializationException"
    )


def test_a_malformed_connection_arn_is_a_validation_error_not_a_missing_resource(cloud: Cloud) -> None:
    request = {"Name": "d", "InvocationEndpoint": "https://example.com/", "HttpMethod": "POST"}
    message = validation_message(cloud, "CreateApiDestination", {**request, "ConnectionArn": "my-connection"})
    assert message.startswith(
        "1 validation error detected: Value 'my-connection' at 'connectionArn' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^arn:aws"
    )
    well_formed = (
        "arn:aws:events:us-east-1:000000000000:connection/missing/0f0e0d0c-0000-4000-8000-000000000000"
    )
    error = refused(cloud, "CreateApiDestination", {**request, "ConnectionArn": well_formed})
    assert error.code == "ResourceNotFoundException"


def test_a_bus_name_that_is_not_a_bus_arn_is_a_validation_error(cloud: Cloud) -> None:
    rule_arn = "arn:aws:events:us-east-1:000000000000:rule/some-rule"
    message = validation_message(cloud, "ListRules", {"EventBusName": rule_arn})
    assert message.startswith(f"1 validation error detected: Value '{rule_arn}' at 'eventBusName' failed")


def test_nothing_changes_when_any_part_of_a_request_is_invalid(cloud: Cloud) -> None:
    cloud.call("PutRule", {"Name": "untouched", "EventPattern": '{"source": ["a"]}'})
    targets = [{"Id": "good", "Arn": LAMBDA}, {"Id": "bad", "Arn": LAMBDA, "Input": "x" * 8193}]
    validation_message(cloud, "PutTargets", {"Rule": "untouched", "Targets": targets})
    assert cloud.call("ListTargetsByRule", {"Rule": "untouched"})["Targets"] == []
    validation_message(cloud, "CreateEventBus", {"Name": "half", "Description": "d" * 513})
    assert refused(cloud, "DescribeEventBus", {"Name": "half"}).code == "ResourceNotFoundException"


def test_validation_errors_travel_as_aws_json_errors(cloud: Cloud) -> None:
    response = requests.post(
        cloud.url + "/",
        data=b'{"Name": "a b"}',
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.DescribeRule"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json() == {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}",
    }
