"""Configuration API handler through HTTP API v2 events (the events/ samples and variations of them)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from adapters.event_publisher import EventBridgePublisher
from handlers import configuration_api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fakes import InMemoryEventPublisher
from tests.support.lambda_functions import FakeLambdaContext, load_invoke_event

VALIDATE = "configuration-api-validate.json"
BATCH = "configuration-api-batch.json"


def call(event: dict[str, Any], context: FakeLambdaContext) -> tuple[int, dict[str, Any]]:
    response = configuration_api.handler(event, context)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def with_body(name: str, body: Any) -> dict[str, Any]:
    event = load_invoke_event(name)
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def sample_body(name: str) -> dict[str, Any]:
    return json.loads(load_invoke_event(name)["body"])


def test_validate_returns_the_result_and_emits_its_events(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    status, body = call(load_invoke_event(VALIDATE), lambda_context)
    assert status == 200
    assert body["configurationId"] == "cfg-vela-de-0042"
    assert body["outcome"] == "VALID_WITH_WARNINGS"
    assert {"violations", "warnings", "recommendations"} <= set(body)
    types = [e.detail_type for e in publisher.published]
    assert types == ["ConfigurationValidated"] + ["SpecAdjustmentRecommended"] * len(body["recommendations"])
    assert all(e.detail["submittedBy"] == "analyst-de" for e in publisher.published)


def test_validate_with_fixes_carries_the_request_id(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    status, body = call(load_invoke_event("configuration-api-validate-with-fixes.json"), lambda_context)
    assert status == 200
    assert body["outcome"] == "INVALID"
    assert len(body["recommendations"]) == len(publisher.of_type("SpecAdjustmentRecommended")) >= 3
    assert {e.detail["requestId"] for e in publisher.published} == {"req-7f3a9c2e"}
    validated = publisher.of_type("ConfigurationValidated")[0].detail
    assert validated["violationCount"] == len(body["violations"])


def test_submitted_by_is_the_token_subject_never_the_body(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    event = with_body(VALIDATE, {**sample_body(VALIDATE), "submittedBy": "someone-else"})
    status, body = call(event, lambda_context)
    assert status == 400
    assert body["errors"][0]["field"] == "submittedBy"
    assert publisher.published == []
    event = load_invoke_event(VALIDATE)
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = "analyst-fr"
    call(event, lambda_context)
    assert {e.detail["submittedBy"] for e in publisher.published} == {"analyst-fr"}


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda e: e["requestContext"].pop("authorizer"), id="no-authorizer"),
        pytest.param(lambda e: e["requestContext"]["authorizer"]["jwt"]["claims"].pop("sub"), id="no-sub"),
    ],
)
def test_missing_subject_is_401(
    mutate: Any, publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    event = load_invoke_event(VALIDATE)
    mutate(event)
    status, body = call(event, lambda_context)
    assert status == 401
    assert "token" in body["message"]
    assert publisher.published == []


def test_subject_that_is_not_a_channel_segment_is_400(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    event = load_invoke_event(VALIDATE)
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = "user@example.com"
    status, body = call(event, lambda_context)
    assert (status, body["errors"][0]["field"]) == (400, "submittedBy")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ("{not json", ["body"]),
        ("", ["body"]),
        ("[]", ["configuration"]),
        ({"configurationId": "cfg-1"}, ["market", "modelLine", "plant", "powertrain", "trim"]),
        ({"configurationId": 'cfg"1'}, None),
    ],
)
def test_bad_json_or_fields_are_400_naming_the_field(
    body: Any, fields: list[str] | None, publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    status, answer = call(with_body(VALIDATE, body), lambda_context)
    assert status == 400
    named = sorted(e["field"] for e in answer["errors"])
    if fields is not None:
        assert named == sorted(fields)
    else:
        assert "configurationId" in named
    assert all(name in answer["message"] for name in named)
    assert publisher.published == []


def test_unsafe_option_code_is_400(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    body = sample_body(VALIDATE)
    body["options"].append('ACC","x":"y')
    status, answer = call(with_body(VALIDATE, body), lambda_context)
    assert status == 400
    assert answer["errors"] == [
        {"field": f"options[{len(body['options']) - 1}]", "message": answer["errors"][0]["message"]}
    ]


def test_base64_body_is_decoded(publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext) -> None:
    import base64

    event = load_invoke_event(VALIDATE)
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    assert call(event, lambda_context)[0] == 200


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param(b'{"configurationId":"\xff"}', "is not UTF-8 text; send a JSON object", id="not-utf8"),
        pytest.param(b"not base64 at all!", "is not UTF-8 text; send a JSON object", id="not-base64"),
        pytest.param(
            b'{"a":' * 5000 + b"1" + b"}" * 5000, "is nested too deeply; send a JSON object", id="deep"
        ),
    ],
)
def test_a_body_no_parser_can_read_is_a_400_not_a_crash(
    raw: bytes, problem: str, publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    """A 500 here would count as the function's error and raise its Errors alarm for a caller's mistake."""
    import base64

    event = load_invoke_event(VALIDATE)
    encoded = base64.b64encode(raw).decode()
    event["body"] = encoded if b"base64" not in raw else raw.decode()
    event["isBase64Encoded"] = True
    status, answer = call(event, lambda_context)
    assert (status, answer["errors"]) == (400, [{"field": "body", "message": problem}])
    assert publisher.published == []


def test_batch_queues_one_validation_request_per_item(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    status, body = call(load_invoke_event(BATCH), lambda_context)
    assert status == 202
    assert body["count"] == 3
    requested = publisher.of_type("ValidationRequested")
    assert len(requested) == 3 == len(publisher.published)
    assert {e.detail["batchId"] for e in requested} == {body["batchId"]}
    assert [e.detail["configuration"]["configurationId"] for e in requested] == [
        c["configurationId"] for c in sample_body(BATCH)["configurations"]
    ]
    assert requested[1].detail["requestId"] == "req-7f3a9c2e"
    assert "requestId" not in requested[0].detail


def test_batch_with_bad_items_lists_every_one_and_emits_nothing(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    items = sample_body(BATCH)["configurations"]
    items[0]["market"] = "D E"
    items[2]["options"] = ["OK", 'BAD"']
    status, body = call(with_body(BATCH, {"configurations": items}), lambda_context)
    assert status == 400
    assert [(i["index"], [e["field"] for e in i["errors"]]) for i in body["items"]] == [
        (0, ["market"]),
        (2, ["options[1]"]),
    ]
    assert "2 of 3" in body["message"]
    assert publisher.published == []


def test_batch_over_500_is_400(publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext) -> None:
    item = sample_body(BATCH)["configurations"][0]
    status, body = call(with_body(BATCH, {"configurations": [item] * 501}), lambda_context)
    assert status == 400
    assert body["errors"][0]["field"] == "configurations"
    assert publisher.published == []


class RecordingClient:
    def __init__(self, fail_code: str | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail_code = fail_code

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if self.fail_code:
            return {
                "FailedEntryCount": len(Entries),
                "Entries": [{"ErrorCode": self.fail_code, "ErrorMessage": "no"}] * len(Entries),
            }
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"e-{i}"} for i in range(len(Entries))]}


def test_batch_of_500_goes_out_in_put_events_of_at_most_10(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    client = RecordingClient()
    monkeypatch.setattr(
        configuration_api, "event_publisher", lambda: EventBridgePublisher("vehicle-config", client)
    )
    items = [{**sample_body(BATCH)["configurations"][0], "configurationId": f"cfg-{i}"} for i in range(500)]
    status, body = call(with_body(BATCH, {"configurations": items}), lambda_context)
    assert (status, body["count"]) == (202, 500)
    assert len(client.calls) == 50 and all(len(c) == 10 for c in client.calls)
    details = [json.loads(e["Detail"]) for c in client.calls for e in c]
    assert [d["configurationId"] for d in details] == [f"cfg-{i}" for i in range(500)]


def test_publish_failure_is_502_with_the_codes(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    client = RecordingClient(fail_code="AccessDeniedException")
    monkeypatch.setattr(
        configuration_api, "event_publisher", lambda: EventBridgePublisher("vehicle-config", client)
    )
    status, body = call(load_invoke_event(VALIDATE), lambda_context)
    assert status == 502
    assert "AccessDeniedException" in body["detail"]


def test_unknown_route_is_404(publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext) -> None:
    event = load_invoke_event(VALIDATE)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/configurations/nope"
    assert configuration_api.handler(event, lambda_context)["statusCode"] == 404


def test_default_publisher_is_eventbridge_on_the_configured_bus() -> None:
    configuration_api.event_publisher.cache_clear()
    try:
        publisher = configuration_api.event_publisher()
        assert isinstance(publisher, EventBridgePublisher)
        assert publisher.bus_name == configuration_api.settings.event_bus_name == "vehicle-config"
    finally:
        configuration_api.event_publisher.cache_clear()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.text(max_size=40) | st.dictionaries(st.text(max_size=10), st.text(max_size=10)).map(json.dumps)
)
def test_any_body_is_answered_200_or_400_never_500(
    body: str, publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    status, answer = call(with_body(VALIDATE, body), lambda_context)
    assert status in (200, 400), answer


def with_markets(event: dict[str, Any], markets: Any, subject: str | None = None) -> dict[str, Any]:
    """The sample with other grants: `markets` as API Gateway renders the claim ("[FR]") or a real list."""
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    if markets is None:
        claims.pop("markets")
    else:
        claims["markets"] = markets
    if subject is not None:
        claims["sub"] = subject
    return event


@pytest.mark.parametrize(
    ("sample", "markets", "subject", "refusal"),
    [
        pytest.param(
            VALIDATE,  # the sample is DE
            "[FR]",
            "analyst-fr",
            {
                "message": "Not granted market DE: the token of analyst-fr grants FR only. Submit "
                "configurations only for your markets, or ask for access to DE",
                "markets": ["DE"],
                "granted": ["FR"],
            },
            id="validate-names-the-market",
        ),
        pytest.param(
            BATCH,  # the sample's second item is US
            "[DE FR]",
            None,
            {
                "message": "Not granted market US (configuration 1 of 3): the token of analyst-de grants DE, "
                "FR only. Submit configurations only for your markets, or ask for access to US",
                "markets": ["US"],
                "granted": ["DE", "FR"],
                "items": [1],
            },
            id="batch-names-the-market-and-items",
        ),
    ],
)
def test_a_market_not_granted_is_403_naming_it_and_nothing_is_emitted_or_queued(
    sample: str,
    markets: str,
    subject: str | None,
    refusal: dict[str, Any],
    publisher: InMemoryEventPublisher,
    lambda_context: FakeLambdaContext,
) -> None:
    status, body = call(with_markets(load_invoke_event(sample), markets, subject=subject), lambda_context)
    assert status == 403
    assert body == refusal
    assert publisher.published == []


@pytest.mark.parametrize(
    ("markets", "status"),
    [("[DE]", 200), ("[FR DE]", 200), (["DE"], 200), ("[*]", 200), ("[]", 403), (None, 403), ("DE", 200)],
)
def test_validate_reads_the_market_grants_as_the_http_api_renders_them(
    markets: Any, status: int, publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    answered, body = call(with_markets(load_invoke_event(VALIDATE), markets), lambda_context)
    assert answered == status, body
    assert bool(publisher.published) == (status == 200)
    if status == 403:
        assert body["granted"] == [] and "grants no market" in body["message"]
