"""Delivery counters, named like EventBridge's CloudWatch metrics.

Two views of the same counts. Per rule and target (`snapshot()`, the JSON of `GET /_vcn/metrics`): matched
events, invocations, failures, dead-lettered and throttled deliveries. Per rule, with CloudWatch's names
(`rule_totals()`, `take_latencies()`, `rule_dimensions()`), which the local CloudWatch reads: AWS/Events
reports each rule's metrics with the dimension `RuleName` alone for a rule on the default bus, and with
`EventBusName` and `RuleName` together for a rule on a custom bus.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from vcn.arns import DEFAULT_BUS, parse_rule_arn

MATCHED_EVENTS = "MatchedEvents"
INVOCATIONS = "Invocations"
FAILED_INVOCATIONS = "FailedInvocations"
SENT_TO_DLQ = "InvocationsSentToDLQ"
FAILED_TO_DLQ = "InvocationsFailedToBeSentToDlq"
THROTTLED_RULES = "ThrottledRules"
COUNTERS = (MATCHED_EVENTS, INVOCATIONS, FAILED_INVOCATIONS, SENT_TO_DLQ, FAILED_TO_DLQ, THROTTLED_RULES)
# Also counted per target, shown per rule only (CloudWatch's view)
RETRY_ATTEMPTS = "RetryInvocationAttempts"
_TARGET_COUNTERS = (*COUNTERS, RETRY_ATTEMPTS)

# AWS/Events metric names of the per-rule view
TRIGGERED_RULES = "TriggeredRules"
LATENCY = "IngestionToInvocationStartLatency"
_CLOUDWATCH_NAMES = {SENT_TO_DLQ: "InvocationsSentToDlq"}  # where the historical local name differs
RULE_METRICS = (
    MATCHED_EVENTS,
    TRIGGERED_RULES,
    INVOCATIONS,
    FAILED_INVOCATIONS,
    "InvocationsSentToDlq",
    FAILED_TO_DLQ,
    RETRY_ATTEMPTS,
    THROTTLED_RULES,
)
# Latency samples kept per rule between two reads; more are counted in `latency_samples_dropped`.
MAX_LATENCY_SAMPLES = 10_000


def rule_dimensions(rule_arn: str) -> dict[str, str]:
    """The dimensions AWS/Events reports a rule's metrics with."""
    bus, rule = parse_rule_arn(rule_arn)
    return {"RuleName": rule} if bus == DEFAULT_BUS else {"EventBusName": bus, "RuleName": rule}


class DeliveryMetrics:
    """Counters keyed by (rule ARN, target id); Invocations counts deliveries, not attempts, like AWS."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(_TARGET_COUNTERS, 0)
        )
        self._matched: dict[str, int] = defaultdict(int)  # per rule: events it matched (once per event)
        self._latencies: dict[str, list[float]] = defaultdict(list)
        self.latency_samples_dropped = 0
        self.dropped_events = 0  # PutEvents to a bus that does not exist

    def add(self, rule_arn: str, target_id: str, counter: str, amount: int = 1) -> None:
        self._counters[(rule_arn, target_id)][counter] += amount

    def get(self, rule_arn: str, target_id: str, counter: str) -> int:
        counters = self._counters.get((rule_arn, target_id))
        return counters[counter] if counters else 0

    def rule_matched(self, rule_arn: str) -> None:
        """An event matched the rule (counted once, however many targets it has)."""
        self._matched[rule_arn] += 1

    def invocation_started(self, rule_arn: str, milliseconds: float) -> None:
        """The first attempt of a delivery began, `milliseconds` after the event was ingested."""
        samples = self._latencies[rule_arn]
        if len(samples) < MAX_LATENCY_SAMPLES:
            samples.append(milliseconds)
        else:
            self.latency_samples_dropped += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "targets": [
                {"RuleArn": rule_arn, "TargetId": target_id, **{name: counters[name] for name in COUNTERS}}
                for (rule_arn, target_id), counters in sorted(self._counters.items())
            ],
            "EventsToUnknownBus": self.dropped_events,
        }

    def rule_totals(self) -> dict[str, dict[str, int]]:
        """Per rule ARN, the cumulative counts under AWS/Events names (`RULE_METRICS`)."""
        totals: dict[str, dict[str, int]] = {}
        for rule_arn, matched in self._matched.items():
            totals[rule_arn] = dict.fromkeys(RULE_METRICS, 0) | {
                MATCHED_EVENTS: matched,
                TRIGGERED_RULES: matched,
            }
        for (rule_arn, _), counters in self._counters.items():
            rule = totals.setdefault(rule_arn, dict.fromkeys(RULE_METRICS, 0))
            for name, count in counters.items():
                if name != MATCHED_EVENTS:
                    rule[_CLOUDWATCH_NAMES.get(name, name)] += count
        return totals

    def take_latencies(self) -> dict[str, list[float]]:
        """IngestionToInvocationStartLatency samples (milliseconds) per rule ARN since the previous take."""
        taken = {rule_arn: samples for rule_arn, samples in self._latencies.items() if samples}
        self._latencies = defaultdict(list)
        return taken
