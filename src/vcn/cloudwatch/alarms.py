"""The alarms of the local CloudWatch: their states, when each is evaluated, and the log line of a change.

An alarm starts INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") and is evaluated at once, then every
minute of cloud time (every 10 seconds for a high-resolution period below a minute), as CloudWatch does. Each
state change is logged on one line: alarm name, old -> new state, and the reason. Alarm actions (SNS topics)
are not delivered locally: the log line and `vcn alarms` are where a change shows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vcn.cloudwatch.config import AlarmConfig
from vcn.cloudwatch.evaluation import ALARM, INSUFFICIENT_DATA, AlarmEvaluator, iso_timestamp
from vcn.cloudwatch.store import MetricStore

log = logging.getLogger("vcn.cloudwatch")

INITIAL_REASON = "Unchecked: Initial alarm creation"


def evaluation_interval(period: int) -> int:
    """Seconds of cloud time between two evaluations of an alarm with this period."""
    return 10 if period < 60 else 60


@dataclass(frozen=True)
class StateChange:
    alarm: str
    old: str
    new: str
    reason: str
    timestamp: float


class AlarmStatus:
    """One alarm's configuration and current state."""

    def __init__(self, config: AlarmConfig, created: float) -> None:
        self.config = config
        self.not_evaluated = config.not_evaluated_because()
        self.evaluator = AlarmEvaluator(config) if self.not_evaluated is None else None
        self.state = INSUFFICIENT_DATA
        self.reason = (
            INITIAL_REASON if self.not_evaluated is None else f"Not evaluated locally: {self.not_evaluated}."
        )
        self.reason_data: dict[str, Any] | None = None
        self.updated = created
        self.next_evaluation = created

    def evaluate(self, store: MetricStore, now: float) -> StateChange | None:
        if self.evaluator is None:
            return None
        self.next_evaluation = now + evaluation_interval(self.config.period)
        decision = self.evaluator.decide(self.evaluator.period_values(store, now), self.state, now)
        if decision.state is None or decision.state == self.state:
            return None
        change = StateChange(self.config.name, self.state, decision.state, decision.reason, now)
        self.state, self.reason, self.reason_data, self.updated = (
            decision.state,
            decision.reason,
            decision.reason_data,
            now,
        )
        return change

    def describe(self) -> dict[str, Any]:
        """The alarm as DescribeAlarms returns a MetricAlarm."""
        config = self.config
        described: dict[str, Any] = {"AlarmName": config.name}
        if config.description is not None:
            described["AlarmDescription"] = config.description
        described |= {
            "ActionsEnabled": config.actions_enabled,
            "OKActions": list(config.ok_actions),
            "AlarmActions": list(config.alarm_actions),
            "InsufficientDataActions": list(config.insufficient_data_actions),
            "StateValue": self.state,
            "StateReason": self.reason,
        }
        if self.reason_data is not None:
            described["StateReasonData"] = json.dumps(self.reason_data, separators=(",", ":"))
        described["StateUpdatedTimestamp"] = iso_timestamp(self.updated)
        if config.single_metric and config.metric_stats:
            stat = config.metric_stats[0]
            described |= {
                "MetricName": stat.metric.name,
                "Namespace": stat.metric.namespace,
                **(
                    {"Statistic": stat.stat}
                    if not stat.stat.startswith("p")
                    else {"ExtendedStatistic": stat.stat}
                ),
                "Dimensions": stat.metric.to_json()["Dimensions"],
                "Period": stat.period,
            }
        elif config.queries:
            described["Metrics"] = [_query_json(query) for query in config.queries]
        described |= {
            "EvaluationPeriods": config.evaluation_periods,
            **(
                {"DatapointsToAlarm": config.datapoints_to_alarm}
                if config.datapoints_to_alarm is not None
                else {}
            ),
            "Threshold": float(config.threshold),
            "ComparisonOperator": config.comparison,
            "TreatMissingData": config.treat_missing_data,
        }
        return described


def _query_json(query: Any) -> dict[str, Any]:
    described: dict[str, Any] = {"Id": query.id}
    if query.metric_stat is not None:
        stat = query.metric_stat
        described["MetricStat"] = {
            "Metric": stat.metric.to_json(),
            "Period": stat.period,
            "Stat": stat.stat,
        }
    if query.expression is not None:
        described["Expression"] = query.expression
    if query.label is not None:
        described["Label"] = query.label
    described["ReturnData"] = query.return_data
    return described


class AlarmMonitor:
    """Evaluates every alarm when it is due and logs each state change."""

    def __init__(self, alarms: Iterable[AlarmConfig], store: MetricStore, created: float) -> None:
        self.store = store
        self._alarms = {config.name: AlarmStatus(config, created) for config in alarms}

    @property
    def alarms(self) -> list[AlarmStatus]:
        return list(self._alarms.values())

    def status(self, name: str) -> AlarmStatus:
        return self._alarms[name]

    def evaluate_due(self, now: float) -> list[StateChange]:
        changes = []
        for status in self._alarms.values():
            if now < status.next_evaluation:
                continue
            change = status.evaluate(self.store, now)
            if change is not None:
                changes.append(change)
                log.log(
                    logging.WARNING if change.new == ALARM else logging.INFO,
                    "alarm %s: %s -> %s: %s",
                    change.alarm,
                    change.old,
                    change.new,
                    change.reason,
                )
        return changes

    def longest_range_seconds(self) -> float:
        """How far back any alarm looks: datapoints older than this are no longer needed."""
        return max(
            (
                status.evaluator.range_periods * status.config.period
                for status in self._alarms.values()
                if status.evaluator is not None
            ),
            default=0.0,
        )

    def describe(self) -> list[dict[str, Any]]:
        return [status.describe() for status in self._alarms.values()]
