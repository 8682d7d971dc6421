"""Domain events carry exactly the catalog's required detail fields (plus requestId when there is one)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from vehicle_config.events import (
    CONFIGURATION_VALIDATED,
    SPEC_ADJUSTMENT_RECOMMENDED,
    VALIDATION_REQUESTED,
    VALIDATION_SOURCE,
    DomainEvent,
    SupplyConstraint,
    parse_validation_requested,
    supply_constraint_cleared,
    supply_constraint_raised,
    validation_outcome_events,
    validation_requested,
)
from vehicle_config.fields import CHANNEL_SEGMENT_FIELDS, InvalidFields, is_channel_segment, is_client_scalar
from vehicle_config.notifications import CHECKED_SUPPLY_SOURCE, NOTIFICATIONS
from vehicle_config.rules import validate

from tests.support.configurations import configuration

# The events that reach clients have the fields their notification declares; ValidationRequested stays on
# the bus and carries the whole configuration.
REQUIRED_FIELDS = {detail_type: set(n.detail_fields) for detail_type, n in NOTIFICATIONS.items()} | {
    VALIDATION_REQUESTED: {"configurationId", "batchId", "submittedBy", "configuration"}
}


def assert_travels_safely(event: DomainEvent) -> None:
    """Scalars match the client alphabet, channel fields are segments, and the detail is plain JSON."""
    for name, value in event.detail.items():
        if isinstance(value, str):
            assert is_client_scalar(value), (name, value)
        if name in CHANNEL_SEGMENT_FIELDS:
            assert is_channel_segment(value), (name, value)
    assert json.loads(json.dumps(event.detail)) == event.detail


def outcome_events(request_id: str | None = None) -> list[DomainEvent]:
    config = configuration(options=["ACC", "LKA", "DRIVE-PILOT", "NAV-BASIC"], priority="HIGH")
    return validation_outcome_events(config, validate(config), "analyst-de", request_id)


def test_validation_outcome_is_one_validated_event_and_one_per_recommendation() -> None:
    events = outcome_events()
    assert [e.detail_type for e in events] == [CONFIGURATION_VALIDATED] + [SPEC_ADJUSTMENT_RECOMMENDED] * 3
    assert {e.source for e in events} == {VALIDATION_SOURCE}
    validated = events[0].detail
    assert (validated["outcome"], validated["violationCount"], validated["warningCount"]) == ("INVALID", 1, 1)
    assert validated["priority"] == "HIGH"
    for event in events:
        assert set(event.detail) == REQUIRED_FIELDS[event.detail_type]
        assert_travels_safely(event)


def test_request_id_rides_along_when_given() -> None:
    for event in outcome_events("req-42"):
        assert set(event.detail) == REQUIRED_FIELDS[event.detail_type] | {"requestId"}
        assert event.detail["requestId"] == "req-42"


def test_add_and_remove_recommendations_use_a_scalar_placeholder() -> None:
    recommended = [e.detail for e in outcome_events() if e.detail_type == SPEC_ADJUSTMENT_RECOMMENDED]
    adds = [d for d in recommended if d["action"] == "ADD_OPTION"]
    assert adds and all(d["fromOption"] == "NONE" for d in adds)


def test_validation_requested_round_trips() -> None:
    config = configuration(options=["ACC"])
    event = validation_requested(config, "batch-1", "analyst-de", "req-9")
    assert event.detail_type == VALIDATION_REQUESTED
    assert set(event.detail) == REQUIRED_FIELDS[VALIDATION_REQUESTED] | {"requestId"}
    request = parse_validation_requested(json.loads(json.dumps(event.detail)))
    assert (request.configuration, request.batch_id, request.submitted_by, request.request_id) == (
        config,
        "batch-1",
        "analyst-de",
        "req-9",
    )


def test_malformed_validation_requested_names_every_bad_field() -> None:
    detail = {"batchId": "b 1", "configuration": {"market": "DE"}, "requestId": "-x"}
    with pytest.raises(InvalidFields) as raised:
        parse_validation_requested(detail)
    fields = {e.field for e in raised.value.errors}
    assert {"detail.batchId", "detail.submittedBy", "detail.requestId", "detail.configurationId"} <= fields


@pytest.mark.parametrize("builder", [supply_constraint_raised, supply_constraint_cleared])
def test_supply_events(builder: Callable[[SupplyConstraint], DomainEvent]) -> None:
    constraint = SupplyConstraint("sc-1", "ZWI", "BAT-MOD-86KWH", "CRITICAL", ["cfg-1", "cfg-2"], "URGENT")
    event = builder(constraint)
    assert event.source == CHECKED_SUPPLY_SOURCE
    assert set(event.detail) == REQUIRED_FIELDS[event.detail_type]
    assert event.detail["affectedConfigurations"] == ["cfg-1", "cfg-2"]
    assert_travels_safely(event)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("sc-1", "Z WI", "P-1", "LOW", [], "LOW"), "plant"),
        (("sc-1", "ZWI", 'P"1', "LOW", [], "LOW"), "partNumber"),
        (("sc-1", "ZWI", "P-1", "SEVERE", [], "LOW"), "severity"),
        (("sc-1", "ZWI", "P-1", "LOW", ["ok", "not ok"], "LOW"), "affectedConfigurations[1]"),
        (("sc-1", "ZWI", "P-1", "LOW", "cfg-1", "LOW"), "affectedConfigurations"),
        (("sc-1", "ZWI", "P-1", "LOW", [], "SOON"), "priority"),
    ],
)
def test_supply_event_rejects_unsafe_fields(args: tuple, field: str) -> None:
    with pytest.raises(InvalidFields) as raised:
        supply_constraint_raised(SupplyConstraint(*args))
    assert raised.value.errors[0].field == field


def test_submitted_by_must_be_a_channel_segment() -> None:
    config = configuration()
    with pytest.raises(InvalidFields, match="submittedBy"):
        validation_outcome_events(config, validate(config), "user@example.com")
