"""validate_and_announce: the rules' result, announced in one publish through the port, with its receipt."""

from __future__ import annotations

from vehicle_config.announcements import validate_and_announce
from vehicle_config.events import CONFIGURATION_VALIDATED, SPEC_ADJUSTMENT_RECOMMENDED
from vehicle_config.rules import validate

from tests.support.configurations import configuration
from tests.support.fakes import InMemoryEventPublisher


def test_the_outcome_is_announced_in_one_publish_and_the_receipt_comes_back() -> None:
    publisher = InMemoryEventPublisher()
    config = configuration(options=["ACC", "LKA", "DRIVE-PILOT", "NAV-BASIC"])
    announced = validate_and_announce(config, "analyst-de", publisher, request_id="req-42")
    assert announced.result == validate(config)
    recommendations = len(announced.result.recommendations)
    assert recommendations > 0
    assert publisher.calls == 1
    types = [event.detail_type for event in publisher.published]
    assert types == [CONFIGURATION_VALIDATED] + [SPEC_ADJUSTMENT_RECOMMENDED] * recommendations
    assert len(announced.receipt.event_ids) == len(publisher.published)
    assert {event.detail["requestId"] for event in publisher.published} == {"req-42"}
    assert {event.detail["submittedBy"] for event in publisher.published} == {"analyst-de"}


def test_without_a_request_id_none_rides_along() -> None:
    publisher = InMemoryEventPublisher()
    validate_and_announce(configuration(), "analyst-de", publisher)
    assert publisher.published and all("requestId" not in event.detail for event in publisher.published)
