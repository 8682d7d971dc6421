"""Validation worker through EventBridge events (the events/ sample and recorded-shape variations)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from handlers import validation_worker

from tests.support.fakes import InMemoryEventPublisher
from tests.support.lambda_functions import FakeLambdaContext, load_invoke_event

SAMPLE = "validation-worker-validation-requested.json"


def test_sample_event_is_validated_and_results_are_emitted(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    event = load_invoke_event(SAMPLE)
    answer = validation_worker.handler(event, lambda_context)
    assert answer["configurationId"] == "cfg-vela-de-0042"
    assert answer["outcome"] == "VALID_WITH_WARNINGS"
    assert len(answer["eventIds"]) == len(publisher.published)
    validated = publisher.of_type("ConfigurationValidated")
    assert len(validated) == 1
    detail = validated[0].detail
    assert (detail["submittedBy"], detail["market"], detail["plant"]) == ("analyst-de", "DE", "WOB")
    assert {e.detail["requestId"] for e in publisher.published} == {event["detail"]["requestId"]}


def test_request_id_is_left_out_when_the_request_had_none(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    event = load_invoke_event(SAMPLE)
    del event["detail"]["requestId"]
    validation_worker.handler(event, lambda_context)
    assert publisher.published and all("requestId" not in e.detail for e in publisher.published)


def test_invalid_configuration_yields_recommendations(
    publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    event = load_invoke_event(SAMPLE)
    event["detail"]["configuration"]["market"] = "US"
    event["detail"]["configuration"]["plant"] = "CHA"
    answer = validation_worker.handler(event, lambda_context)
    assert answer["outcome"] == "INVALID"
    fixes = {
        (e.detail["action"], e.detail["fromOption"]) for e in publisher.of_type("SpecAdjustmentRecommended")
    }
    assert ("REPLACE_OPTION", "LASER-LIGHT") in fixes


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda e: e["detail"].pop("submittedBy"), id="no-submitter"),
        pytest.param(lambda e: e["detail"].update(submittedBy="a b"), id="unsafe-submitter"),
        pytest.param(lambda e: e["detail"]["configuration"].update(market='DE"'), id="unsafe-market"),
        pytest.param(lambda e: e.update({"detail-type": "ConfigurationValidated"}), id="wrong-detail-type"),
    ],
)
def test_malformed_requests_are_dropped_without_emitting(
    mutate: Any, publisher: InMemoryEventPublisher, lambda_context: FakeLambdaContext
) -> None:
    event = copy.deepcopy(load_invoke_event(SAMPLE))
    mutate(event)
    answer = validation_worker.handler(event, lambda_context)
    assert answer["rejected"] is True and answer["problems"]
    assert publisher.published == []
