"""Input transformation, one test per row of the spec's substitution table, plus Input, InputPath, the
predefined variables and placeholder validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.input_transformer import DeliveryContext, RenderedInput, parse_target_input, render

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "e-1",
    "detail-type": "ConfigurationValidated",
    "source": "vehicle-config.validation",
    "account": "000000000000",
    "time": "2025-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "market": "DE",
        "obj": {"k1": "v1", "k2": "v2"},
        "list": ["A", "B"],
        "flag": True,
        "count": 3,
        "items": [{"id": "first"}, {"id": "second"}],
    },
}
CONTEXT = DeliveryContext("arn:aws:events:us-east-1:000000000000:rule/r", "r", "2025-01-01T00:00:01Z")


def transform(template: str, paths: dict[str, str] | None = None) -> RenderedInput:
    target = {"Id": "t", "InputTransformer": {"InputPathsMap": paths or {}, "InputTemplate": template}}
    return render(parse_target_input("t", target), EVENT, CONTEXT)


# (what the row says, template, InputPathsMap, the body delivered)
SUBSTITUTIONS: list[tuple[str, str, dict[str, str], str]] = [
    ("string template stays a string with its quotes", '"Market <m> validated"', {"m": "$.detail.market"},
     '"Market DE validated"'),
    ("unquoted string value in JSON template gets quoted", '{"a": <m>}', {"m": "$.detail.market"},
     '{"a": "DE"}'),
    ("quoted string value in JSON template is spliced once", '{"a": "<m>"}', {"m": "$.detail.market"},
     '{"a": "DE"}'),
    ("object inside a string renders without quotes or spaces", '"x <o>"', {"o": "$.detail.obj"},
     '"x {k1:v1,k2:v2}"'),
    ("list inside a string renders as bracketed values", '"x <l>"', {"l": "$.detail.list"}, '"x [A,B]"'),
    ("boolean inside a string is true", '"flag is <f>"', {"f": "$.detail.flag"}, '"flag is true"'),
    ("boolean inside a string in JSON is true", '{"a": "flag <f>"}', {"f": "$.detail.flag"},
     '{"a": "flag true"}'),
    ("missing path becomes empty string", '"[<missing>]"', {"missing": "$.detail.nothing.here"}, '"[]"'),
    ("array indexes select elements", '{"id": <i>}', {"i": "$.detail.items[1].id"}, '{"id": "second"}'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("template", "paths", "body"), [row[1:] for row in SUBSTITUTIONS], ids=[row[0] for row in SUBSTITUTIONS]
)
def test_substitution_row(template: str, paths: dict[str, str], body: str) -> None:
    assert transform(template, paths).body == body


def test_unquoted_object_value_is_embedded_as_json() -> None:
    body = transform('{"a": <o>}', {"o": "$.detail.obj"}).body
    assert body is not None and json.loads(body) == {"a": {"k1": "v1", "k2": "v2"}}


def test_unquoted_list_value_is_a_json_list() -> None:
    body = transform('{"a": <l>}', {"l": "$.detail.list"}).body
    assert body is not None and json.loads(body) == {"a": ["A", "B"]}


def test_result_that_is_not_valid_json_delivers_nothing() -> None:
    rendered = transform('{"a": "<o>"}', {"o": "$.detail.obj"})
    assert rendered.body is None
    assert rendered.dropped_because is not None and "not valid JSON" in rendered.dropped_because


def test_values_spliced_into_strings_are_not_escaped() -> None:
    event = {**EVENT, "detail": {"text": 'say "hi"'}}
    target = parse_target_input(
        "t", {"InputTransformer": {"InputPathsMap": {"t": "$.detail.text"}, "InputTemplate": '"<t>"'}}
    )
    assert render(target, event, CONTEXT).body == '"say "hi""'


def test_scalars_inside_an_escaped_json_string_build_a_publish_body() -> None:
    template = '{"channel": "/markets/<m>", "events": ["{\\"market\\":\\"<m>\\",\\"count\\":<c>}"]}'
    body = transform(template, {"m": "$.detail.market", "c": "$.detail.count"}).body
    assert body is not None
    published = json.loads(body)
    assert published["channel"] == "/markets/DE"
    assert json.loads(published["events"][0]) == {"market": "DE", "count": 3}


def test_predefined_variables_are_available() -> None:
    body = transform(
        '{"arn": "<aws.events.rule-arn>", "name": <aws.events.rule-name>, '
        '"at": "<aws.events.event.ingestion-time>", '
        '"event": <aws.events.event>, "json": <aws.events.event.json>}'
    ).body
    assert body is not None
    document = json.loads(body)
    assert document["arn"] == CONTEXT.rule_arn and document["name"] == "r"
    assert document["at"] == "2025-01-01T00:00:01Z"
    assert "detail" not in document["event"] and document["event"]["detailType"] == "ConfigurationValidated"
    assert document["json"] == EVENT


def test_undefined_placeholder_is_rejected_with_aws_message() -> None:
    with pytest.raises(EventBridgeError) as raised:
        parse_target_input(
            "t7", {"InputTransformer": {"InputPathsMap": {"a": "$.x"}, "InputTemplate": '"<a> <b>"'}}
        )
    assert raised.value.code == "ValidationException"
    assert raised.value.message == "InputTemplate for target t7 contains invalid placeholder b."


def test_whole_event_variables_only_as_json_field_values() -> None:
    with pytest.raises(EventBridgeError, match="only be the value of a JSON field"):
        parse_target_input("t", {"InputTransformer": {"InputTemplate": '"<aws.events.event.json>"'}})


def test_input_path_to_a_string_sends_the_json_string() -> None:
    assert render(parse_target_input("t", {"InputPath": "$.detail.market"}), EVENT, CONTEXT).body == '"DE"'
    detail = render(parse_target_input("t", {"InputPath": "$.detail"}), EVENT, CONTEXT).body
    assert detail is not None and json.loads(detail) == EVENT["detail"]


def test_constant_input_is_sent_as_given_and_must_be_json() -> None:
    assert render(parse_target_input("t", {"Input": '{"fixed": 1}'}), EVENT, CONTEXT).body == '{"fixed": 1}'
    with pytest.raises(EventBridgeError, match="not valid JSON"):
        parse_target_input("t", {"Input": "{nope"})


def test_without_input_configuration_the_whole_event_is_sent() -> None:
    body = render(parse_target_input("t", {}), EVENT, CONTEXT).body
    assert body is not None and json.loads(body) == EVENT
