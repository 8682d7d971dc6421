"""How one alarm decides its state from its metric, as CloudWatch documents it.

Every evaluation looks at the last periods of the alarm's metric (each period a value, or missing), newest
first. CloudWatch retrieves more periods than `EvaluationPeriods` (the *evaluation range*) and then:

- when at least N real datapoints are in the range, it compares the N most recent real ones, and how missing
  data is treated does not matter;
- when there are fewer, it fills the missing ones in with the TreatMissingData choice, using as few filled
  datapoints as it can (`missing`: decide on the real ones; `ignore`: keep the state unless the real ones
  settle it);
- when all are missing: `missing` -> INSUFFICIENT_DATA, `ignore` -> the state stays, `breaching` -> ALARM,
  `notBreaching` -> OK.

ALARM needs M breaching datapoints ("M out of N", DatapointsToAlarm). Periods end at the evaluation instant
(UNCONFIRMED: whether CloudWatch aligns them to the clock; rolling periods make a burst count at once). The
evaluation range is N + 2 periods (UNCONFIRMED: AWS says only "a higher number"; its own table uses N + 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vcn.cloudwatch.config import COMPARISONS, AlarmConfig, MetricQuery
from vcn.cloudwatch.math_expression import Expression
from vcn.cloudwatch.statistics import Statistic
from vcn.cloudwatch.store import MetricStore

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
EXTRA_RANGE_PERIODS = 2

# Whether a value breaches a threshold, by ComparisonOperator (static thresholds; bands are anomaly models).
THRESHOLD_BREACHES: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


@dataclass(frozen=True)
class PeriodValue:
    """The alarm's metric over one period: `value` is None when the period has no data."""

    start: float
    value: float | None
    sample_count: float | None = None


@dataclass(frozen=True)
class Decision:
    """The state an evaluation arrived at (None: keep the current one), and why, in CloudWatch's words."""

    state: str | None
    reason: str
    reason_data: dict[str, Any]


def iso_timestamp(timestamp: float) -> str:
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _short_time(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%d/%m/%y %H:%M:%S")


def _number(value: float) -> str:
    return repr(float(value))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class AlarmEvaluator:
    """Computes an alarm's period values from the metric store and decides its state."""

    def __init__(self, config: AlarmConfig) -> None:
        self.config = config
        self._queries = {query.id: query for query in config.queries}
        self._statistics = {
            query.id: Statistic.parse(query.metric_stat.stat)
            for query in config.queries
            if query.metric_stat is not None
        }
        self._expressions = {
            query.id: Expression.parse(query.expression)
            for query in config.queries
            if query.expression is not None
        }
        self._compare = THRESHOLD_BREACHES[config.comparison]

    @property
    def range_periods(self) -> int:
        return self.config.evaluation_periods + EXTRA_RANGE_PERIODS

    def period_values(self, store: MetricStore, now: float) -> list[PeriodValue]:
        """The evaluation range, newest period first."""
        period = self.config.period
        values = []
        for index in range(self.range_periods):
            end = now - index * period
            start = end - period
            values.append(self._period_value(store, start, end))
        return values

    def _period_value(self, store: MetricStore, start: float, end: float) -> PeriodValue:
        returned = self.config.returned
        if returned.metric_stat is not None:
            points = store.datapoints(returned.metric_stat.metric, start, end)
            value = self._statistics[returned.id].of(points)
            count = sum(point.statistics.sample_count for point in points) if points else None
            return PeriodValue(start, value, count)
        memo: dict[str, float | None] = {}
        return PeriodValue(start, self._query_value(returned, store, start, end, memo, set()))

    def _query_value(
        self,
        query: MetricQuery,
        store: MetricStore,
        start: float,
        end: float,
        memo: dict[str, float | None],
        visiting: set[str],
    ) -> float | None:
        if query.id in memo:
            return memo[query.id]
        if query.metric_stat is not None:
            value = self._statistics[query.id].of(store.datapoints(query.metric_stat.metric, start, end))
        elif query.id in visiting:  # an expression that reads itself has no value
            return None
        else:
            expression = self._expressions[query.id]
            visiting.add(query.id)
            inputs = {
                name: self._query_value(self._queries[name], store, start, end, memo, visiting)
                for name in expression.ids
                if name in self._queries
            }
            visiting.discard(query.id)
            value = expression.evaluate(inputs)
        memo[query.id] = value
        return value

    def decide(self, values: list[PeriodValue], current: str, now: float) -> Decision:
        """The new state from the evaluation range (newest first) and the current state."""
        config = self.config
        n, m = config.evaluation_periods, config.required_datapoints
        real = [point for point in values if point.value is not None]
        treatment = config.treat_missing_data
        if len(real) >= n:
            return self._threshold_decision(real[:n], 0, "", current, values, now)
        if not real:
            return self._all_missing(n, treatment, values, now)
        fills = n - len(real)
        breaching = sum(1 for point in real if self._breaches(point))
        if treatment == "breaching":
            return self._threshold_decision(real, fills, "Breaching", current, values, now)
        if treatment == "notBreaching":
            return self._threshold_decision(real, fills, "NonBreaching", current, values, now)
        if treatment == "missing":
            return self._threshold_decision(real, 0, "", current, values, now, needed=min(m, len(real)))
        # ignore: the real datapoints settle it only if no value of the missing ones could change the outcome
        if breaching >= m or breaching + fills < m:
            return self._threshold_decision(real, 0, "", current, values, now)
        reason = (
            f"Threshold Crossed: {_plural(len(real), 'datapoint')} in the last {_plural(n, 'period')} and "
            f"{_plural(fills, 'missing datapoint')} {'is' if fills == 1 else 'are'} ignored: the state stays."
        )
        return Decision(None, reason, self._reason_data(values, real, now))

    def _breaches(self, point: PeriodValue) -> bool:
        assert point.value is not None
        return self._compare(point.value, self.config.threshold)

    def _threshold_decision(
        self,
        real: list[PeriodValue],
        fills: int,
        filled_as: str,
        current: str,
        values: list[PeriodValue],
        now: float,
        needed: int | None = None,
    ) -> Decision:
        config = self.config
        m = config.required_datapoints if needed is None else needed
        breaching = [point for point in real if self._breaches(point)]
        counted = len(breaching) + (fills if filled_as == "Breaching" else 0)
        state = ALARM if counted >= m else OK
        shown = breaching if state == ALARM else [point for point in real if not self._breaches(point)]
        words = COMPARISONS[config.comparison] if state == ALARM else f"not {COMPARISONS[config.comparison]}"
        listed = ", ".join(f"{_number(p.value or 0.0)} ({_short_time(p.start)})" for p in shown)
        verb = "was" if len(shown) == 1 else "were"
        total = len(real) + fills
        threshold = _number(config.threshold)
        if total == 1 and fills == 0 and config.evaluation_periods == 1:
            text = f"Threshold Crossed: 1 datapoint [{listed}] {verb} {words} the threshold ({threshold})"
        else:
            text = (
                f"Threshold Crossed: {len(shown)} out of the last {total} datapoints [{listed}] {verb} "
                f"{words} the threshold ({threshold})"
            )
        if fills:
            text += (
                f" and {_plural(fills, 'missing datapoint')} {'was' if fills == 1 else 'were'} treated as "
                f"[{filled_as}]"
            )
        if total > 1 or config.evaluation_periods > 1:
            transition = f"{current} -> ALARM" if state == ALARM else f"{current} -> OK"
            minimum = m if state == ALARM else total - m + 1
            text += f" (minimum {_plural(max(1, minimum), 'datapoint')} for {transition} transition)"
        return Decision(state, text + ".", self._reason_data(values, real, now))

    def _all_missing(self, n: int, treatment: str, values: list[PeriodValue], now: float) -> Decision:
        data = self._reason_data(values, [], now)
        if treatment == "missing":
            return Decision(
                INSUFFICIENT_DATA,
                f"Insufficient Data: {_plural(n, 'datapoint')} {'was' if n == 1 else 'were'} unknown.",
                data,
            )
        if treatment == "ignore":
            return Decision(
                None,
                f"No datapoints were received for {_plural(n, 'period')} and missing data is ignored: "
                "the state stays.",
                data,
            )
        filled_as = "Breaching" if treatment == "breaching" else "NonBreaching"
        return Decision(
            ALARM if treatment == "breaching" else OK,
            f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
            f"{_plural(n, 'missing datapoint')} {'was' if n == 1 else 'were'} treated as [{filled_as}].",
            data,
        )

    def _reason_data(
        self, values: list[PeriodValue], evaluated: list[PeriodValue], now: float
    ) -> dict[str, Any]:
        config = self.config
        data: dict[str, Any] = {"version": "1.0", "queryDate": iso_timestamp(now)}
        if values:
            data["startDate"] = iso_timestamp(values[-1].start)
        returned = config.returned
        if returned.metric_stat is not None:
            data["statistic"] = returned.metric_stat.stat
        data["period"] = config.period
        data["recentDatapoints"] = [point.value for point in reversed(values) if point.value is not None]
        data["threshold"] = float(config.threshold)
        data["evaluatedDatapoints"] = [
            {
                "timestamp": iso_timestamp(point.start),
                **({"sampleCount": point.sample_count} if point.sample_count is not None else {}),
                "value": point.value,
            }
            for point in evaluated
        ]
        return data
