"""The one ARN parser (vcn.arns) and the names the local services read out of ARNs."""

from __future__ import annotations

import pytest

from vcn.arns import (
    Arn,
    bus_name,
    function_name,
    is_lambda_function,
    local_bus_name,
    parse_rule_arn,
    resource_name,
    rule_arn,
    sqs_queue_name,
    sqs_queue_name_of_url,
)

FUNCTION = "arn:aws:lambda:eu-central-1:123456789012:function:Worker"


def test_an_arn_parses_into_its_parts_and_prints_back_unchanged() -> None:
    arn = Arn.parse("arn:aws:events:eu-central-1:123456789012:rule/bus/name")
    assert arn == Arn("aws", "events", "eu-central-1", "123456789012", "rule/bus/name")
    assert str(arn) == "arn:aws:events:eu-central-1:123456789012:rule/bus/name"
    assert Arn.parse("arn:aws:s3:::bucket").resource == "bucket"


@pytest.mark.parametrize("text", ["Worker", "arn:aws:lambda", "arn:aws:sqs:r:a:", "urn:aws:sqs:r:a:q"])
def test_a_malformed_arn_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ARN: expected arn:<partition>:<service>"):
        Arn.parse(text)


def test_bus_name_accepts_a_name_an_event_bus_arn_or_nothing() -> None:
    assert bus_name(None) == bus_name("") == "default"
    assert bus_name("vehicle-config") == "vehicle-config"
    assert bus_name("arn:aws:events:us-east-1:123456789012:event-bus/vehicle-config") == "vehicle-config"


def test_a_bus_arn_names_a_local_bus_only_in_the_same_account_and_region() -> None:
    here = "arn:aws:events:us-east-1:000000000000:event-bus/orders"
    assert local_bus_name(here, "000000000000", "us-east-1") == "orders"
    assert local_bus_name("orders", "000000000000", "us-east-1") == "orders"
    assert local_bus_name(None, "000000000000", "us-east-1") == "default"
    assert local_bus_name(here, "111111111111", "us-east-1") is None
    assert local_bus_name(here, "000000000000", "eu-west-1") is None


def test_rule_arns_round_trip_on_the_default_and_a_custom_bus() -> None:
    on_default = rule_arn("us-east-1", "123456789012", "default", "r")
    on_custom = rule_arn("us-east-1", "123456789012", "custom", "r")
    assert on_default == "arn:aws:events:us-east-1:123456789012:rule/r"
    assert on_custom == "arn:aws:events:us-east-1:123456789012:rule/custom/r"
    assert parse_rule_arn(on_default) == ("default", "r")
    assert parse_rule_arn(on_custom) == ("custom", "r")
    with pytest.raises(ValueError, match="is not a rule ARN"):
        parse_rule_arn("arn:aws:events:us-east-1:123456789012:event-bus/custom")


def test_queue_and_function_names_come_out_of_their_arns() -> None:
    assert sqs_queue_name("arn:aws:sqs:us-east-1:123456789012:dead-letters") == "dead-letters"
    with pytest.raises(ValueError, match="is not an SQS queue ARN"):
        sqs_queue_name(FUNCTION)
    assert function_name(FUNCTION) == function_name(f"{FUNCTION}:live") == function_name("Worker") == "Worker"
    assert is_lambda_function(FUNCTION) and not is_lambda_function("Worker")
    assert not is_lambda_function("arn:aws:lambda:us-east-1:123456789012:layer:deps:1")


def test_a_queue_url_names_its_queue_with_or_without_a_trailing_slash() -> None:
    url = "https://sqs.eu-central-1.amazonaws.com/123456789012/vcn-NotificationDlq-AbC"
    assert sqs_queue_name_of_url(url) == sqs_queue_name_of_url(url + "/") == "vcn-NotificationDlq-AbC"
    assert sqs_queue_name_of_url("http://127.0.0.1:4010/000000000000/dead-letters") == "dead-letters"


def test_resource_name_reads_the_name_of_the_asked_type_only() -> None:
    destination = "arn:aws:events:us-east-1:123456789012:api-destination/appsync/4f1c"
    assert resource_name(destination, "api-destination") == "appsync"
    assert resource_name(destination, "connection") is None
    assert resource_name("appsync", "api-destination") is None
