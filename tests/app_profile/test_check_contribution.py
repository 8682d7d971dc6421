"""The application's part of `vcn check`, built from the domain: event kinds, fields clients read, grants."""

from __future__ import annotations

import pytest
from vehicle_config.fields import CHANNEL_SEGMENT_FIELDS, is_channel_segment, is_client_scalar
from vehicle_config.notifications import (
    CHECKED_SUPPLY_SOURCE,
    NOTIFICATIONS,
    SUPPLY_SOURCE,
    TRUSTED_SOURCES,
)
from vehicle_config.supply_ingress import ADMITTED_DETAIL_TYPES

from app_profile.check import check_contribution, some_token_may_subscribe

CONTRIBUTION = check_contribution()
KINDS = {kind.detail_type: kind for kind in CONTRIBUTION.event_kinds}


def test_every_notification_and_the_work_item_are_event_kinds_with_the_sources_producers_put() -> None:
    assert set(KINDS) == {*NOTIFICATIONS, "ValidationRequested"}
    for detail_type, notification in NOTIFICATIONS.items():
        # supply systems put vehicle-config.supply; the checked source is only what the ingress puts back
        expected = SUPPLY_SOURCE if notification.source == CHECKED_SUPPLY_SOURCE else notification.source
        assert KINDS[detail_type].source == expected


def test_the_trusted_sources_are_the_domains_and_the_supply_source_goes_through_its_ingress() -> None:
    assert {source.source for source in CONTRIBUTION.trusted_sources} == set(TRUSTED_SOURCES)
    (open_source,) = CONTRIBUTION.open_sources
    assert open_source.source == SUPPLY_SOURCE
    for detail_type in ADMITTED_DETAIL_TYPES:
        kind = KINDS[detail_type]
        admitted = open_source.ingress(kind.source, detail_type, kind.typical)
        assert (admitted.source, admitted.detail_type) == (CHECKED_SUPPLY_SOURCE, detail_type)
        assert admitted.detail == kind.typical
        refused = open_source.ingress(kind.source, detail_type, {**kind.typical, "plant": ["ZWI"]})
        assert not refused.admitted and refused.reasons[0].startswith("detail.plant: ")


@pytest.mark.parametrize("detail_type", sorted(NOTIFICATIONS))
def test_ordinary_details_hold_exactly_the_declared_fields_with_valid_values(detail_type: str) -> None:
    notification = NOTIFICATIONS[detail_type]
    for example in KINDS[detail_type].examples:
        assert set(example) - {"requestId"} == set(notification.detail_fields)
        for name, value in example.items():
            if name in CHANNEL_SEGMENT_FIELDS:
                assert is_channel_segment(value), (name, value)
            elif isinstance(value, str):
                assert is_client_scalar(value), (name, value)


@pytest.mark.parametrize("detail_type", sorted(NOTIFICATIONS))
def test_clients_read_the_declared_keys_on_each_channel_and_nothing_elsewhere(detail_type: str) -> None:
    notification = NOTIFICATIONS[detail_type]
    fields_read = KINDS[detail_type].fields_read
    assert fields_read is not None
    for template in notification.every_channel:
        concrete = template.replace("{", "").replace("}", "")  # `/markets/market/modelLine`
        assert fields_read(concrete) == notification.keys_on(template)
    assert fields_read("/elsewhere/x") is None


def test_the_work_item_reaches_no_client() -> None:
    assert KINDS["ValidationRequested"].fields_read is None


@pytest.mark.parametrize(
    ("channel", "allowed"),
    [
        ("/markets/DE/ARC", True),
        ("/markets/XX/NEW-LINE", True),
        ("/users/analyst-de", True),
        ("/plants/WOB", True),
        ("/requests/req-0001", False),  # backend replies: IAM subscribers only
        ("/audit/x", False),
    ],
)
def test_some_token_may_subscribe_exactly_where_the_grants_allow(channel: str, allowed: bool) -> None:
    assert some_token_may_subscribe(channel) is allowed
