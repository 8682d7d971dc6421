"""The local CloudWatch's metric store: datapoints per metric, in time order, with totals since start.

Datapoints older than the retention are dropped (`prune`); the totals since start stay, for `vcn metrics`.
Everything runs on the local cloud's event loop, so the store needs no lock.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from vcn.cloudwatch.metric import Datapoint, MetricKey, StatisticSet


@dataclass(frozen=True)
class MetricTotals:
    """A metric's activity since the local cloud started: everything summed, and its latest datapoint."""

    key: MetricKey
    statistics: StatisticSet
    latest: Datapoint


class _Series:
    __slots__ = ("count", "latest", "maximum", "minimum", "points", "times", "total")

    def __init__(self, first: Datapoint) -> None:
        self.points: list[Datapoint] = []
        self.times: list[float] = []
        stats = first.statistics
        # Totals since start, kept as plain numbers: this runs for every datapoint of every tick.
        self.count, self.total, self.minimum, self.maximum = 0.0, 0.0, stats.minimum, stats.maximum
        self.latest = first

    def add(self, point: Datapoint) -> None:
        stats = point.statistics
        self.count += stats.sample_count
        self.total += stats.sum
        if stats.minimum < self.minimum:
            self.minimum = stats.minimum
        if stats.maximum > self.maximum:
            self.maximum = stats.maximum
        if point.timestamp >= self.latest.timestamp:
            self.latest = point
        if not self.times or point.timestamp >= self.times[-1]:
            self.times.append(point.timestamp)
            self.points.append(point)
            return
        # Late arrivals (a function's log line with its own timestamp) keep the series ordered.
        index = bisect.bisect_right(self.times, point.timestamp)
        self.times.insert(index, point.timestamp)
        self.points.insert(index, point)

    @property
    def statistics(self) -> StatisticSet:
        return StatisticSet(self.count, self.total, self.minimum, self.maximum)


class MetricStore:
    """Datapoints keyed by metric (namespace, name, dimensions)."""

    def __init__(self) -> None:
        self._series: dict[MetricKey, _Series] = {}

    def put(self, key: MetricKey, point: Datapoint) -> None:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(point)
        series.add(point)

    def put_value(self, key: MetricKey, timestamp: float, value: float) -> None:
        self.put(key, Datapoint(timestamp, StatisticSet(1.0, value, value, value), (value,)))

    def datapoints(self, key: MetricKey, after: float, until: float) -> list[Datapoint]:
        """The metric's datapoints with `after < timestamp <= until` (a period ending at an evaluation
        includes what was collected at that instant)."""
        series = self._series.get(key)
        if series is None:
            return []
        low = bisect.bisect_right(series.times, after)
        high = bisect.bisect_right(series.times, until)
        return series.points[low:high]

    def keys(self) -> list[MetricKey]:
        return list(self._series)

    def totals(self) -> Iterator[MetricTotals]:
        """Each metric's totals since start, ordered by namespace, name and dimensions."""
        for key in sorted(self._series, key=lambda k: (k.namespace, k.name, k.dimensions)):
            series = self._series[key]
            yield MetricTotals(key, series.statistics, series.latest)

    def prune(self, before: float) -> None:
        """Forget datapoints older than `before` (totals are kept)."""
        for series in self._series.values():
            cut = bisect.bisect_left(series.times, before)
            if cut:
                del series.times[:cut]
                del series.points[:cut]
