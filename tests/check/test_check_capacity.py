"""The cost of a traffic profile, from what the template does with each event; the quotas its peaks hit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.check.conftest import SHOP_TEMPLATE, check, failure
from tests.check.shop_profile import shop_profile
from vcn.check.capacity import CostReport
from vcn.check.traffic import TrafficError

SHOP_TRAFFIC: dict[str, Any] = {
    "days_per_month": 30,
    "events": {"per_day": {"OrderShipped": 100_000}, "active_hours_per_day": 10, "peak_factor": 2},
    "clients": {
        "online": 100,
        "hours_per_day": 8,
        "days_per_month": 20,
        "connects_per_day": 2,
        "channels": {"orders": 3},
        "audience": {"orders": 10},
    },
}


def priced(tmp_path: Path, traffic: dict[str, Any]) -> tuple[CostReport, Any]:
    path = tmp_path / "traffic.yaml"
    path.write_text(yaml.safe_dump(traffic))
    report = check(SHOP_TEMPLATE, shop_profile(), traffic=path)
    assert report.cost is not None
    return report.cost, report


def quantity(cost: CostReport, what: str) -> float:
    [item] = [item for item in cost.items if item.what == what]
    return item.quantity


def test_a_month_of_the_shop_is_priced_from_what_its_template_does_with_each_event(tmp_path: Path) -> None:
    cost, report = priced(tmp_path, SHOP_TRAFFIC)
    assert report.passed
    assert quantity(cost, "custom events (64 KB chunks)") == 3_000_000
    assert quantity(cost, "API destination invocations") == 3_000_000  # one target per OrderShipped
    assert quantity(cost, "inbound events") == 3_000_000
    assert quantity(cost, "outbound messages (5 KB each)") == 30_000_000  # an audience of 10, under 5 KB
    assert quantity(cost, "connects") == 4_000
    assert quantity(cost, "subscribes") == 12_000
    assert quantity(cost, "connection-minutes") == 960_000
    by_service = cost.by_service()
    assert by_service["EventBridge"] == pytest.approx(3.0 + 0.6)
    assert by_service["AppSync Events"] == pytest.approx(33.016 + 0.0768)
    assert cost.total_usd == pytest.approx(3.6 + 33.016 + 0.0768)


def test_a_peak_over_the_api_destination_rate_limit_fails_naming_the_destination(tmp_path: Path) -> None:
    busy = {**SHOP_TRAFFIC, "events": {**SHOP_TRAFFIC["events"], "per_day": {"OrderShipped": 10_000_000}}}
    _, report = priced(tmp_path, busy)
    found = failure(report, "capacity", "PublishDestination")
    assert "555.6 per second, over the limit of 300" in found.problem


def test_more_subscriptions_per_connection_than_appsync_allows_fail(tmp_path: Path) -> None:
    crowded = {**SHOP_TRAFFIC, "clients": {**SHOP_TRAFFIC["clients"], "channels": {"orders": 201}}}
    _, report = priced(tmp_path, crowded)
    found = failure(report, "capacity", "EventsApi")
    assert "subscriptions per WebSocket connection" in found.problem


def test_an_event_type_the_application_does_not_emit_is_a_traffic_mistake(tmp_path: Path) -> None:
    wrong = {**SHOP_TRAFFIC, "events": {"per_day": {"OrderShiped": 1}}}
    with pytest.raises(
        TrafficError,
        match=r"traffic\.yaml: events\.per_day\.OrderShiped: no such event type \(known: OrderShipped\)",
    ):
        priced(tmp_path, wrong)


def test_a_route_the_template_lacks_is_a_traffic_mistake(tmp_path: Path) -> None:
    wrong = {**SHOP_TRAFFIC, "clients": {**SHOP_TRAFFIC["clients"], "http_requests_per_day": {"GET /x": 1}}}
    with pytest.raises(TrafficError, match=r"clients\.http_requests_per_day\.GET /x: no such route"):
        priced(tmp_path, wrong)
