"""What a metric is in CloudWatch: a namespace, a name and a set of dimensions; and what a datapoint holds.

Two metrics with the same name but different dimension sets are different metrics: `FailedInvocations` with
`{RuleName}` is not `FailedInvocations` with `{EventBusName, RuleName}`. That is why an alarm naming the wrong
dimension set sees no data at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple


class MetricKey(NamedTuple):
    """One metric: namespace, name and dimensions (name/value pairs, kept sorted by name).

    A named tuple, so hashing and comparing it (the collector and the store do it for every reading) is done
    in C.
    """

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, namespace: str, name: str, dimensions: Mapping[str, str] | None = None) -> MetricKey:
        return cls(namespace, name, tuple(sorted((dimensions or {}).items())))

    @property
    def dimension_names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.dimensions)

    def describe_dimensions(self) -> str:
        """`{EventBusName=orders, RuleName=shipped}` (or `{}` for a metric without dimensions)."""
        return "{" + ", ".join(f"{name}={value}" for name, value in self.dimensions) + "}"

    def describe(self) -> str:
        return f"{self.namespace} {self.name} with {self.describe_dimensions()}"

    def to_json(self) -> dict[str, Any]:
        """As CloudWatch's APIs write a metric: `Dimensions` is a list of `{Name, Value}`."""
        return {
            "Namespace": self.namespace,
            "MetricName": self.name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
        }


@dataclass(frozen=True, slots=True)
class StatisticSet:
    """Several values summed up, as `PutMetricData`'s `StatisticValues` carries them."""

    sample_count: float
    sum: float
    minimum: float
    maximum: float

    @classmethod
    def of_values(cls, values: Iterable[float]) -> StatisticSet:
        listed = list(values)
        if not listed:
            raise ValueError("a statistic set needs at least one value")
        return cls(float(len(listed)), float(sum(listed)), float(min(listed)), float(max(listed)))

    @classmethod
    def tally(cls, hits: float, samples: float) -> StatisticSet:
        """`samples` values that are each 1 (`hits` of them) or 0: a count (hits == samples) or an error
        indicator like Lambda's Errors, whose Average is the error rate."""
        if samples <= 0 or not 0 <= hits <= samples:
            raise ValueError(f"a tally needs 0 <= hits <= samples and samples > 0 (got {hits}, {samples})")
        return cls(float(samples), float(hits), 0.0 if hits < samples else 1.0, 1.0 if hits > 0 else 0.0)

    def merge(self, other: StatisticSet) -> StatisticSet:
        return StatisticSet(
            self.sample_count + other.sample_count,
            self.sum + other.sum,
            min(self.minimum, other.minimum),
            max(self.maximum, other.maximum),
        )


@dataclass(frozen=True, slots=True)
class Datapoint:
    """What one report of a metric added at one instant (cloud time), with its raw values when known."""

    timestamp: float
    statistics: StatisticSet
    # The raw values, for percentiles; None when only the summary was reported (a tally or a statistic set).
    values: tuple[float, ...] | None = None
