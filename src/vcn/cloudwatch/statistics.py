"""Statistics over the datapoints of one period: SampleCount, Sum, Average, Minimum, Maximum and percentiles.

A percentile (`p99`, `p99.9`) needs the values themselves. Datapoints reported as a summary still have them
when the summary says what they were: all equal (minimum == maximum), or a tally of zeros and ones. Otherwise
the percentile is unknown for that period, which an alarm treats as missing data, as CloudWatch does for
statistic sets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from vcn.cloudwatch.metric import Datapoint

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,10})?|100)$")


class UnsupportedStatistic(ValueError):
    """A statistic the local cloud does not compute; the message names the ones it does."""


@dataclass(frozen=True)
class Statistic:
    """A statistic (`Sum`) or an extended statistic (`p99`), parsed once."""

    name: str
    percentile: float | None = None

    @classmethod
    def parse(cls, text: str) -> Statistic:
        if text in STATISTICS:
            return cls(text)
        match = _PERCENTILE.match(text)
        if match is not None:
            return cls(text, float(match.group(1)))
        raise UnsupportedStatistic(
            f"statistic {text!r} is not computed locally; use one of {', '.join(STATISTICS)} "
            "or a percentile such as p99 (trimmed and winsorized statistics are not emulated)"
        )

    def of(self, datapoints: Sequence[Datapoint]) -> float | None:
        """The statistic over datapoints; None when there are none (missing data) or it cannot be known."""
        if not datapoints:
            return None
        if self.percentile is not None:
            return _percentile(datapoints, self.percentile)
        count = sum(point.statistics.sample_count for point in datapoints)
        total = sum(point.statistics.sum for point in datapoints)
        if self.name == "SampleCount":
            return count
        if self.name == "Sum":
            return total
        if self.name == "Average":
            return total / count if count else None
        if self.name == "Minimum":
            return min(point.statistics.minimum for point in datapoints)
        return max(point.statistics.maximum for point in datapoints)


def _weighted_values(point: Datapoint) -> list[tuple[float, float]] | None:
    """The datapoint's values as (value, how many times); None when the summary hides them."""
    if point.values is not None:
        return [(value, 1.0) for value in point.values]
    stats = point.statistics
    if stats.minimum == stats.maximum:
        return [(stats.minimum, stats.sample_count)]
    if (stats.minimum, stats.maximum) == (0.0, 1.0) and float(stats.sum).is_integer():
        return [(0.0, stats.sample_count - stats.sum), (1.0, stats.sum)]
    return None


def _percentile(datapoints: Sequence[Datapoint], percentile: float) -> float | None:
    weighted: list[tuple[float, float]] = []
    for point in datapoints:
        values = _weighted_values(point)
        if values is None:
            return None
        weighted.extend(values)
    weighted.sort()
    total = sum(weight for _, weight in weighted)
    if total <= 0:
        return None
    # Nearest rank: the smallest value with at least `percentile` % of the values at or below it.
    rank = max(1.0, math.ceil(percentile / 100 * total))
    seen = 0.0
    for value, weight in weighted:
        seen += weight
        if seen >= rank:
            return value
    return weighted[-1][0]
