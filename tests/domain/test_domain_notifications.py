"""The notification contract is consistent with the events it describes and with the channel map."""

from __future__ import annotations

import string

import pytest
from vehicle_config.events import (
    DomainEvent,
    SupplyConstraint,
    supply_constraint_cleared,
    supply_constraint_raised,
    validation_outcome_events,
)
from vehicle_config.fields import CHANNEL_SEGMENT_FIELDS
from vehicle_config.notifications import (
    CONFIGURATION_VALIDATED,
    ENVELOPE,
    NOTIFICATIONS,
    REQUEST_CHANNEL,
    REQUEST_ID,
    SPEC_ADJUSTMENT_RECOMMENDED,
)
from vehicle_config.rules import validate

from tests.support.configurations import configuration


def one_event_of_each_type() -> dict[str, DomainEvent]:
    config = configuration(options=["ACC", "LKA", "DRIVE-PILOT", "NAV-BASIC"])
    constraint = SupplyConstraint("sc-1", "ZWI", "BAT-MOD-86KWH", "CRITICAL", ["cfg-1"], "URGENT")
    events = [
        *validation_outcome_events(config, validate(config), "analyst-de", "req-1"),
        supply_constraint_raised(constraint),
        supply_constraint_cleared(constraint),
    ]
    return {event.detail_type: event for event in events}


def test_a_notification_carries_every_scalar_of_its_event_and_nothing_else() -> None:
    events = one_event_of_each_type()
    assert set(events) == set(NOTIFICATIONS)
    for detail_type, notification in NOTIFICATIONS.items():
        detail = events[detail_type].detail
        scalars = {name for name, value in detail.items() if not isinstance(value, list | dict)}
        assert scalars - {REQUEST_ID} == {*notification.fields, "priority"}, detail_type
        assert {name for name in detail if name not in scalars} == set(notification.bus_only), detail_type


def test_channels_are_made_of_segment_fields_the_notification_carries() -> None:
    for notification in NOTIFICATIONS.values():
        for channel in notification.every_channel:
            names = {name for _, name, _, _ in string.Formatter().parse(channel) if name}
            assert names and names <= CHANNEL_SEGMENT_FIELDS, channel
            assert names <= set(notification.keys_on(channel)), (notification.detail_type, channel)


def test_every_notification_starts_with_the_envelope_and_only_the_reply_carries_the_request_id() -> None:
    validated = NOTIFICATIONS[CONFIGURATION_VALIDATED]
    for notification in NOTIFICATIONS.values():
        for channel in notification.every_channel:
            keys = notification.keys_on(channel)
            assert keys[: len(ENVELOPE)] == ENVELOPE
            assert (REQUEST_ID in keys) is (channel == REQUEST_CHANNEL)
    assert validated.keys_on(REQUEST_CHANNEL)[-1] == REQUEST_ID


def test_a_channel_the_notification_does_not_go_to_has_no_keys() -> None:
    with pytest.raises(ValueError, match="SpecAdjustmentRecommended is not sent to /requests/"):
        NOTIFICATIONS[SPEC_ADJUSTMENT_RECOMMENDED].keys_on(REQUEST_CHANNEL)


def test_a_detail_must_hold_exactly_the_declared_fields() -> None:
    detail = dict(one_event_of_each_type()[CONFIGURATION_VALIDATED].detail)
    detail.pop(REQUEST_ID)
    contract = NOTIFICATIONS[CONFIGURATION_VALIDATED]
    assert list(contract.detail(dict(reversed(detail.items())))) == list(contract.detail_fields)
    with pytest.raises(ValueError, match="has exactly configurationId, market"):
        contract.detail({**detail, "colour": "red"})
    del detail["outcome"]
    with pytest.raises(ValueError, match="ConfigurationValidated detail"):
        contract.detail(detail)


def test_an_event_goes_to_its_channels_filled_with_its_values_and_to_the_reply_channel_when_it_asks() -> None:
    validated = NOTIFICATIONS[CONFIGURATION_VALIDATED]
    values = {"market": "DE", "modelLine": "ARC", "submittedBy": "u-1"}
    assert validated.channels_for(values) == ("/markets/DE/ARC", "/users/u-1")
    assert validated.channels_for({**values, REQUEST_ID: "req-1"})[-1] == "/requests/req-1"
    assert validated.channels_for({"submittedBy": "u-1"}) == ("/users/u-1",)
