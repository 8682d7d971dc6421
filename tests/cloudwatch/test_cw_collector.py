"""The collector turns services' cumulative counters into datapoints of what changed since its last read."""

from __future__ import annotations

from collections.abc import Iterator

from vcn.cloudwatch import (
    CatalogEntry,
    Gauge,
    MetricCollector,
    MetricKey,
    MetricStore,
    Samples,
    StatisticSet,
    Tally,
)
from vcn.cloudwatch.collector import Reading

CALLS = MetricKey.of("AWS/Lambda", "Invocations", {"FunctionName": "f"})
ERRORS = MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "f"})
DEPTH = MetricKey.of("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "q"})
DURATION = MetricKey.of("AWS/Lambda", "Duration", {"FunctionName": "f"})


class Counters:
    """A service's counters as a source reports them."""

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.depth = 0
        self.durations: list[float] = []

    def read(self) -> Iterator[Reading]:
        yield Tally(CALLS, self.calls, self.calls)
        yield Tally(ERRORS, self.errors, self.calls)
        yield Gauge(DEPTH, self.depth)
        taken, self.durations = self.durations, []
        yield Samples(DURATION, taken)

    def catalog(self) -> Iterator[CatalogEntry]:
        yield CatalogEntry(CALLS)


def test_tallies_become_the_change_since_the_previous_read() -> None:
    store, counters = MetricStore(), Counters()
    collector = MetricCollector(store, [counters])
    counters.calls, counters.errors = 4, 1
    collector.collect(10.0)
    counters.calls, counters.errors = 6, 1
    collector.collect(20.0)
    assert [p.statistics for p in store.datapoints(CALLS, 0, 30)] == [
        StatisticSet.tally(4, 4),
        StatisticSet.tally(2, 2),
    ]
    # Zero errors among new invocations is a datapoint of 0, as Lambda reports it.
    assert [p.statistics.sum for p in store.datapoints(ERRORS, 0, 30)] == [1, 0]
    assert [p.statistics.sample_count for p in store.datapoints(ERRORS, 0, 30)] == [4, 2]


def test_nothing_new_is_missing_data_not_zero() -> None:
    store, counters = MetricStore(), Counters()
    collector = MetricCollector(store, [counters])
    counters.calls = 3
    collector.collect(10.0)
    collector.collect(20.0)
    assert [p.timestamp for p in store.datapoints(CALLS, 0, 30)] == [10.0]


def test_gauges_are_sampled_every_read_and_samples_when_there_are_some() -> None:
    store, counters = MetricStore(), Counters()
    collector = MetricCollector(store, [counters])
    counters.depth = 2
    counters.durations = [12.5, 30.0]
    collector.collect(10.0)
    counters.depth = 0
    collector.collect(20.0)
    assert [p.statistics.maximum for p in store.datapoints(DEPTH, 0, 30)] == [2, 0]
    [durations] = store.datapoints(DURATION, 0, 30)
    assert durations.values == (12.5, 30.0) and durations.timestamp == 10.0


def test_a_counter_that_starts_again_counts_from_zero() -> None:
    store, counters = MetricStore(), Counters()
    collector = MetricCollector(store, [counters])
    counters.calls = 5
    collector.collect(10.0)
    counters.calls = 2  # e.g. a resource deleted and created again
    collector.collect(20.0)
    assert [p.statistics.sum for p in store.datapoints(CALLS, 0, 30)] == [5, 2]


def test_the_catalog_gathers_every_source() -> None:
    collector = MetricCollector(MetricStore(), [Counters(), Counters()])
    assert collector.catalog() == [CatalogEntry(CALLS), CatalogEntry(CALLS)]
