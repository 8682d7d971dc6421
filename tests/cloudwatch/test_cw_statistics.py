"""Statistics of one period's datapoints, and the metric store's windows and totals."""

from __future__ import annotations

import re

import pytest

from vcn.cloudwatch import Datapoint, MetricKey, MetricStore, StatisticSet
from vcn.cloudwatch.statistics import Statistic, UnsupportedStatistic

KEY = MetricKey.of("Shop", "Latency", {"Service": "orders"})


def values(*numbers: float, at: float = 0.0) -> Datapoint:
    return Datapoint(at, StatisticSet.of_values(numbers), tuple(numbers))


def test_basic_statistics_combine_every_datapoint_of_the_period() -> None:
    points = [values(1, 2, 3), Datapoint(0, StatisticSet(2, 10, 4, 6))]
    assert Statistic.parse("SampleCount").of(points) == 5
    assert Statistic.parse("Sum").of(points) == 16
    assert Statistic.parse("Average").of(points) == pytest.approx(16 / 5)
    assert Statistic.parse("Minimum").of(points) == 1
    assert Statistic.parse("Maximum").of(points) == 6


def test_no_datapoints_is_missing_data_not_zero() -> None:
    assert Statistic.parse("Sum").of([]) is None
    assert Statistic.parse("p99").of([]) is None


def test_percentiles_use_nearest_rank_over_the_raw_values() -> None:
    points = [values(*range(1, 101))]
    assert Statistic.parse("p50").of(points) == 50
    assert Statistic.parse("p99").of(points) == 99
    assert Statistic.parse("p99.9").of(points) == 100
    assert Statistic.parse("p100").of(points) == 100


def test_a_tally_of_zeros_and_ones_still_has_percentiles() -> None:
    errors = Datapoint(0, StatisticSet.tally(hits=3, samples=100))  # 3 errors in 100 invocations
    assert Statistic.parse("Average").of([errors]) == pytest.approx(0.03)
    assert Statistic.parse("p95").of([errors]) == 0
    assert Statistic.parse("p98").of([errors]) == 1


def test_a_summary_that_hides_its_values_has_no_percentile() -> None:
    hidden = Datapoint(0, StatisticSet(3, 9, 1, 5))
    assert Statistic.parse("p50").of([hidden]) is None
    assert Statistic.parse("Sum").of([hidden]) == 9


@pytest.mark.parametrize("text", ["tm99", "wm90", "IQM", "TC(10:20)", "p101", "sum"])
def test_statistics_the_local_cloud_does_not_compute_are_named(text: str) -> None:
    with pytest.raises(UnsupportedStatistic, match=re.escape(f"statistic {text!r} is not computed locally")):
        Statistic.parse(text)


def test_tally_refuses_more_hits_than_samples() -> None:
    with pytest.raises(ValueError, match="0 <= hits <= samples"):
        StatisticSet.tally(hits=2, samples=1)


def test_a_period_includes_its_end_and_excludes_its_start() -> None:
    store = MetricStore()
    for at in (100.0, 160.0, 220.0):
        store.put_value(KEY, at, at)
    assert [point.timestamp for point in store.datapoints(KEY, 100.0, 160.0)] == [160.0]
    assert [point.timestamp for point in store.datapoints(KEY, 99.0, 220.0)] == [100.0, 160.0, 220.0]


def test_late_datapoints_are_kept_in_time_order() -> None:
    store = MetricStore()
    store.put_value(KEY, 200.0, 2)
    store.put_value(KEY, 100.0, 1)  # a function's line that arrived late, with its own timestamp
    assert [point.timestamp for point in store.datapoints(KEY, 0, 300)] == [100.0, 200.0]
    [totals] = store.totals()
    assert totals.statistics == StatisticSet(2, 3, 1, 2) and totals.latest.timestamp == 200.0


def test_pruning_forgets_old_datapoints_but_keeps_the_totals() -> None:
    store = MetricStore()
    for at in range(10):
        store.put_value(KEY, float(at), 1)
    store.prune(before=8.0)
    assert [point.timestamp for point in store.datapoints(KEY, -1, 100)] == [8.0, 9.0]
    [totals] = store.totals()
    assert totals.statistics.sample_count == 10


def test_metrics_differ_by_their_dimension_set() -> None:
    store = MetricStore()
    rule_only = MetricKey.of("AWS/Events", "FailedInvocations", {"RuleName": "r"})
    with_bus = MetricKey.of("AWS/Events", "FailedInvocations", {"EventBusName": "b", "RuleName": "r"})
    store.put_value(with_bus, 10, 1)
    assert store.datapoints(rule_only, 0, 20) == []
    assert len(store.datapoints(with_bus, 0, 20)) == 1
    assert with_bus.describe() == "AWS/Events FailedInvocations with {EventBusName=b, RuleName=r}"
