"""The shape of a CloudWatch metric alarm as the local cloud evaluates it (what the template loader produces).

Mirrors `AWS::CloudWatch::Alarm` after intrinsics are resolved: one metric with a statistic, or metric math
queries of which exactly one returns the alarm's data. `check()` applies PutMetricAlarm's rules. A feature
the local cloud does not evaluate (anomaly detection bands, unsupported statistics or expressions) does not
stop the cloud: the alarm carries `unsupported`, stays INSUFFICIENT_DATA and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vcn.cloudwatch.math_expression import Expression, UnsupportedExpression
from vcn.cloudwatch.metric import MetricKey
from vcn.cloudwatch.statistics import Statistic, UnsupportedStatistic

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
ANOMALY_COMPARISONS = frozenset(
    {"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
)
TREAT_MISSING_DATA = ("missing", "notBreaching", "breaching", "ignore")
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
MAX_TOTAL_EVALUATION_SECONDS = 7 * 86400
_QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


class InvalidAlarm(ValueError):
    """The alarm breaks a rule CloudWatch enforces (PutMetricAlarm would refuse it)."""


@dataclass(frozen=True)
class MetricStat:
    """A metric and how to summarise it per period."""

    metric: MetricKey
    period: int
    stat: str  # "Sum", "Maximum", ... or an extended statistic such as "p99"


@dataclass(frozen=True)
class MetricQuery:
    """One entry of an alarm's `Metrics`: a metric (`MetricStat`) or an expression over other entries."""

    id: str
    metric_stat: MetricStat | None = None
    expression: str | None = None
    return_data: bool = True
    label: str | None = None


@dataclass(frozen=True)
class AlarmConfig:
    """One metric alarm. A single-metric alarm is one query `m1` with `single_metric=True`."""

    name: str
    queries: tuple[MetricQuery, ...]
    evaluation_periods: int
    threshold: float
    comparison: str
    datapoints_to_alarm: int | None = None  # None: the same as evaluation_periods
    treat_missing_data: str = "missing"
    description: str | None = None
    logical_id: str | None = None
    single_metric: bool = True
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    unsupported: str | None = None  # why the local cloud does not evaluate it

    @property
    def required_datapoints(self) -> int:
        """M of "M out of N": breaching datapoints needed for ALARM."""
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def returned(self) -> MetricQuery:
        """The query whose values the alarm compares with its threshold."""
        return next(query for query in self.queries if query.return_data)

    @property
    def metric_stats(self) -> list[MetricStat]:
        return [query.metric_stat for query in self.queries if query.metric_stat is not None]

    @property
    def period(self) -> int:
        """The alarm's period: its metrics' (metric math works on one period here); 0 without metrics."""
        stats = self.metric_stats
        return stats[0].period if stats else 0

    @property
    def actions(self) -> tuple[str, ...]:
        return self.alarm_actions + self.ok_actions + self.insufficient_data_actions

    def check(self) -> None:
        """Raise InvalidAlarm naming the first rule of PutMetricAlarm the alarm breaks."""
        if not 1 <= len(self.name) <= 255:
            raise InvalidAlarm(f"AlarmName must be 1 to 255 characters (got {len(self.name)})")
        if self.evaluation_periods < 1:
            raise InvalidAlarm(f"EvaluationPeriods must be at least 1 (got {self.evaluation_periods})")
        if self.datapoints_to_alarm is not None and not (
            1 <= self.datapoints_to_alarm <= self.evaluation_periods
        ):
            raise InvalidAlarm(
                f"DatapointsToAlarm must be between 1 and EvaluationPeriods ({self.evaluation_periods}); "
                f"got {self.datapoints_to_alarm}"
            )
        if self.treat_missing_data not in TREAT_MISSING_DATA:
            raise InvalidAlarm(
                f"TreatMissingData must be one of {', '.join(TREAT_MISSING_DATA)} "
                f"(got {self.treat_missing_data!r})"
            )
        if self.comparison not in COMPARISONS and self.comparison not in ANOMALY_COMPARISONS:
            raise InvalidAlarm(
                f"ComparisonOperator must be one of {', '.join(COMPARISONS)} or an anomaly detection "
                f"operator (got {self.comparison!r})"
            )
        self._check_queries()

    def _check_queries(self) -> None:
        if not self.queries:
            raise InvalidAlarm("an alarm needs MetricName and Namespace, or Metrics")
        ids = [query.id for query in self.queries]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise InvalidAlarm(f"Metrics ids must be unique; repeated: {', '.join(duplicates)}")
        for query in self.queries:
            if not self.single_metric and not _QUERY_ID.match(query.id):
                raise InvalidAlarm(
                    f"Metrics id {query.id!r} must start with a lowercase letter and hold only letters, "
                    "digits and underscores"
                )
            if (query.metric_stat is None) == (query.expression is None):
                raise InvalidAlarm(
                    f"Metrics entry {query.id!r} needs exactly one of MetricStat and Expression"
                )
            if query.metric_stat is not None:
                _check_metric_stat(query.id, query.metric_stat)
        returned = [query.id for query in self.queries if query.return_data]
        if len(returned) != 1:
            raise InvalidAlarm(
                f"exactly one Metrics entry must have ReturnData true (found {len(returned)}: "
                f"{', '.join(returned) or 'none'})"
            )
        if not self.metric_stats:
            raise InvalidAlarm("Metrics must hold at least one MetricStat")
        total = self.period * self.evaluation_periods
        if total > MAX_TOTAL_EVALUATION_SECONDS:
            raise InvalidAlarm(
                f"Period x EvaluationPeriods must not exceed 7 days ({MAX_TOTAL_EVALUATION_SECONDS} s); "
                f"got {total} s"
            )

    def not_evaluated_because(self) -> str | None:
        """Why the local cloud cannot evaluate this (valid) alarm, or None when it can."""
        if self.unsupported is not None:
            return self.unsupported
        if self.comparison in ANOMALY_COMPARISONS:
            return f"anomaly detection ({self.comparison}) is not emulated locally"
        periods = {stat.period for stat in self.metric_stats}
        if len(periods) > 1:
            return f"its metrics use different periods ({', '.join(map(str, sorted(periods)))} s)"
        known = {query.id for query in self.queries}
        for query in self.queries:
            if query.metric_stat is not None:
                try:
                    Statistic.parse(query.metric_stat.stat)
                except UnsupportedStatistic as exc:
                    return str(exc)
            if query.expression is not None:
                try:
                    expression = Expression.parse(query.expression)
                except UnsupportedExpression as exc:
                    return str(exc)
                unknown = sorted(expression.ids - known)
                if unknown:
                    return f"expression {query.expression!r} names ids that are not in Metrics: {unknown}"
        return None


def _check_metric_stat(query_id: str, stat: MetricStat) -> None:
    period = stat.period
    if period not in HIGH_RESOLUTION_PERIODS and (period < 60 or period % 60):
        raise InvalidAlarm(
            f"Period of {query_id} must be 10, 20, 30 or a multiple of 60 seconds (got {period})"
        )
    metric = stat.metric
    if not 1 <= len(metric.namespace) <= 255 or not 1 <= len(metric.name) <= 255:
        raise InvalidAlarm(f"Namespace and MetricName of {query_id} must be 1 to 255 characters")
    if len(metric.dimensions) > 30:
        raise InvalidAlarm(f"{query_id} has {len(metric.dimensions)} dimensions; at most 30 are allowed")
