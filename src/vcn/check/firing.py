"""Whether an alarm on a count of failures tells someone of the first one.

An alarm *watches* a queue, or a count of failed deliveries or errors, only if one more of them makes it fire:
- it reads a metric its resource emits, with the exact dimension set (checked with the metric catalog);
- a value of 1 breaches its comparison and threshold, and a value of 0 does not (an alarm already in ALARM
  when nothing failed changes state on nothing: `GreaterThanThreshold 0` or `GreaterThanOrEqualToThreshold
  1`, not `LessThanThreshold` or a threshold of 100000);
- for a count that is 1 for one period only (not a queue's depth, which stays until the message is taken),
  one breaching datapoint is enough (`DatapointsToAlarm` 1, or `EvaluationPeriods` 1);
- `ActionsEnabled` is not false, and it has `AlarmActions` when other alarms of the template have some (it
  would change state and notify nobody). An `Fn::If` of actions counts: where they go is a deploy's choice.
An alarm of metric math is judged by its expression, with every metric it reads at 1 (and at 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vcn.cloudwatch.config import COMPARISONS, AlarmConfig
from vcn.cloudwatch.evaluation import THRESHOLD_BREACHES
from vcn.cloudwatch.math_expression import Expression, UnsupportedExpression
from vcn.cloudwatch.metric import MetricKey
from vcn.template.view import TemplateView

# (namespace, metric) of counts of failures, with what one of them is; `True`: one stays until taken.
FAILURE_COUNTS: Mapping[tuple[str, str], tuple[str, bool]] = {
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): ("message in the queue", True),
    ("AWS/Events", "FailedInvocations"): ("failed invocation", False),
    ("AWS/Events", "InvocationsFailedToBeSentToDlq"): ("event not sent to its dead-letter queue", False),
    ("AWS/Lambda", "Errors"): ("error", False),
    ("AWS/Lambda", "Throttles"): ("throttled invocation", False),
    ("AWS/Lambda", "DeadLetterErrors"): ("event not sent to its dead-letter queue", False),
}


@dataclass(frozen=True)
class Actions:
    """Which alarms of the template declare AlarmActions (as written: a conditional list counts)."""

    declared: frozenset[str]  # logical ids

    @classmethod
    def of(cls, view: TemplateView | None, alarms: Iterable[AlarmConfig]) -> Actions:
        declared = set()
        for alarm in alarms:
            lid = alarm.logical_id
            written = view.raw(lid).get("AlarmActions") if view is not None and lid is not None else None
            if alarm.alarm_actions or written not in (None, []):
                declared.add(lid or alarm.name)
        return cls(frozenset(declared))

    def missing(self, alarm: AlarmConfig) -> bool:
        """Whether the alarm has no actions while some other alarm of the template has."""
        return bool(self.declared) and (alarm.logical_id or alarm.name) not in self.declared


def why_silent(alarm: AlarmConfig, metric: MetricKey, actions: Actions) -> str | None:
    """Why one more failure counted by `metric` would not make the alarm notify anyone; None when it would."""
    what, lasting = FAILURE_COUNTS.get((metric.namespace, metric.name), ("failure", False))
    if not alarm.actions_enabled:
        return "its ActionsEnabled is false: it changes state and notifies nobody"
    if actions.missing(alarm):
        return "it has no AlarmActions, unlike the template's other alarms: it notifies nobody"
    compare = THRESHOLD_BREACHES.get(alarm.comparison)
    if compare is None:
        return f"its comparison {alarm.comparison} is a band, not a threshold one {what} crosses"
    one, none = _returned(alarm, metric, 1.0), _returned(alarm, metric, 0.0)
    if one is None or none is None:
        return "its metric math cannot be evaluated here, so one " + what + " is not proven to raise it"
    words = f"{COMPARISONS[alarm.comparison]} {alarm.threshold:g}"
    if not compare(one, alarm.threshold):
        return f"one {what} (a value of {one:g}) is not {words}"
    if compare(none, alarm.threshold):
        return (
            f"with no {what} (a value of {none:g}) it is already {words}: always in ALARM, it tells nothing"
        )
    if not lasting and alarm.required_datapoints > 1:
        return f"one {what} is counted in one period, and it needs {alarm.required_datapoints} breaching ones"
    return None


def _returned(alarm: AlarmConfig, metric: MetricKey, value: float) -> float | None:
    """The value the alarm compares when `metric` is `value` (others 0), or None when it cannot be known."""
    values: dict[str, float | None] = {}
    for query in alarm.queries:
        if query.metric_stat is not None:
            values[query.id] = value if query.metric_stat.metric == metric else 0.0
    returned = alarm.returned
    if returned.metric_stat is not None:
        return values[returned.id]
    if returned.expression is None:
        return None
    try:
        expression = Expression.parse(returned.expression)
        # expressions may read other expressions: evaluate them in order
        for query in alarm.queries:
            if query.expression is not None and query is not returned:
                values[query.id] = Expression.parse(query.expression).evaluate(values)
        return expression.evaluate(values)
    except (UnsupportedExpression, KeyError, ZeroDivisionError):
        return None
