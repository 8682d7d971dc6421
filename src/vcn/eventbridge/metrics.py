"""Per rule and target delivery counters, named like EventBridge's CloudWatch metrics."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

MATCHED_EVENTS = "MatchedEvents"
INVOCATIONS = "Invocations"
FAILED_INVOCATIONS = "FailedInvocations"
SENT_TO_DLQ = "InvocationsSentToDLQ"
FAILED_TO_DLQ = "InvocationsFailedToBeSentToDlq"
THROTTLED_RULES = "ThrottledRules"
COUNTERS = (MATCHED_EVENTS, INVOCATIONS, FAILED_INVOCATIONS, SENT_TO_DLQ, FAILED_TO_DLQ, THROTTLED_RULES)


class DeliveryMetrics:
    """Counters keyed by (rule ARN, target id); Invocations counts deliveries, not attempts, like AWS."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(COUNTERS, 0)
        )
        self.dropped_events = 0  # PutEvents to a bus that does not exist

    def add(self, rule_arn: str, target_id: str, counter: str, amount: int = 1) -> None:
        self._counters[(rule_arn, target_id)][counter] += amount

    def get(self, rule_arn: str, target_id: str, counter: str) -> int:
        counters = self._counters.get((rule_arn, target_id))
        return counters[counter] if counters else 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "targets": [
                {"RuleArn": rule_arn, "TargetId": target_id, **counters}
                for (rule_arn, target_id), counters in sorted(self._counters.items())
            ],
            "EventsToUnknownBus": self.dropped_events,
        }
