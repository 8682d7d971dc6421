"""Custom metrics from functions' output: Embedded Metric Format lines, as Powertools Metrics prints them."""

from __future__ import annotations

import json
import logging

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from tests.support.clock import NEW_YEAR_2026, ManualReading
from vcn.clock import ScaledClock
from vcn.cloudwatch import MetricKey, MetricStore
from vcn.cloudwatch.emf import EmbeddedMetrics

WALL = NEW_YEAR_2026


def powertools_line(capsys: pytest.CaptureFixture[str], **values: float) -> str:
    """What a handler decorated with `@metrics.log_metrics` prints: one EMF JSON line."""
    metrics = Metrics(namespace="Shop", service="orders")
    for name, number in values.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=number)
    metrics.add_metric(name="Checked", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Checked", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    return line


def test_a_powertools_metrics_line_becomes_datapoints(capsys: pytest.CaptureFixture[str]) -> None:
    line = powertools_line(capsys, KeysExpiring=1)
    store = MetricStore()
    clock = ScaledClock(1.0)
    assert EmbeddedMetrics(store, clock).capture("KeyKeeper", line)
    expiring = MetricKey.of("Shop", "KeysExpiring", {"service": "orders"})
    checked = MetricKey.of("Shop", "Checked", {"service": "orders"})
    assert set(store.keys()) == {expiring, checked}
    [point] = store.datapoints(checked, 0, clock.now() + 60)
    assert point.values == (1.0, 1.0) and point.statistics.sum == 2
    stamped = json.loads(line)["_aws"]["Timestamp"] / 1000
    assert point.timestamp == pytest.approx(stamped, abs=0.001)


def test_timestamps_move_onto_the_scaled_clock() -> None:
    clock = ScaledClock(60.0, wall=lambda: WALL, monotonic=ManualReading(0.0))
    store = MetricStore()
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": int((WALL + 10) * 1000),
                "CloudWatchMetrics": [
                    {"Namespace": "Shop", "Dimensions": [[]], "Metrics": [{"Name": "Late"}]}
                ],
            },
            "Late": 3,
        }
    )
    EmbeddedMetrics(store, clock).capture("fn", line)
    [point] = store.datapoints(MetricKey.of("Shop", "Late"), 0, WALL + 10_000)
    assert point.timestamp == WALL + 600  # 10 real seconds after the clock started are 10 cloud minutes


def test_every_dimension_set_is_a_metric_of_its_own() -> None:
    store = MetricStore()
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": int(WALL * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": "Shop",
                        "Dimensions": [["service"], ["service", "market"]],
                        "Metrics": [{"Name": "Sold"}],
                    }
                ],
            },
            "service": "orders",
            "market": "DE",
            "Sold": [1, 2],
        }
    )
    EmbeddedMetrics(store, ScaledClock()).capture("fn", line)
    assert set(store.keys()) == {
        MetricKey.of("Shop", "Sold", {"service": "orders"}),
        MetricKey.of("Shop", "Sold", {"service": "orders", "market": "DE"}),
    }


def test_ordinary_log_lines_are_not_metrics() -> None:
    store = MetricStore()
    capture = EmbeddedMetrics(store, ScaledClock()).capture
    assert not capture("fn", "START RequestId: 1")
    assert not capture("fn", json.dumps({"level": "INFO", "message": "the word _aws in a message"}))
    assert not capture("fn", '{"_aws": not json')
    assert store.keys() == []


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"_aws": {"CloudWatchMetrics": {}}}, "CloudWatchMetrics must be a list"),
        ({"_aws": {"CloudWatchMetrics": [{"Dimensions": [], "Metrics": []}]}}, "Namespace must be a string"),
        (
            {
                "_aws": {
                    "CloudWatchMetrics": [
                        {"Namespace": "N", "Dimensions": [["svc"]], "Metrics": [{"Name": "M"}]}
                    ]
                },
                "M": 1,
            },
            "dimension 'svc' must be a string member",
        ),
        (
            {
                "_aws": {
                    "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [], "Metrics": [{"Name": "M"}]}]
                },
                "M": "1",
            },
            "metric 'M' must have a number",
        ),
    ],
)
def test_invalid_emf_stays_a_log_line_and_says_why(
    document: dict[str, object], problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = MetricStore()
    with caplog.at_level(logging.WARNING, logger="vcn.cloudwatch"):
        assert not EmbeddedMetrics(store, ScaledClock()).capture("KeyKeeper", json.dumps(document))
    assert store.keys() == []
    assert any(
        problem in record.getMessage() and "[KeyKeeper]" in record.getMessage() for record in caplog.records
    )
