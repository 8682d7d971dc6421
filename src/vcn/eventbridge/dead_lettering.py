"""Writing a failed delivery to a dead-letter queue with AWS's attributes, counted per rule and target.

The message takes the delivery's id, so a delivery that reached its queue just before the process died is
recognised on the next start (the journal still holds it) and not sent twice. A write that fails is counted
(`InvocationsFailedToBeSentToDlq`) and logged, never raised into the delivery: the caller keeps the delivery
in the journal instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.metrics import FAILED_TO_DLQ, SENT_TO_DLQ, DeliveryMetrics
from vcn.eventbridge.settings import EventBridgeSettings

log = logging.getLogger("vcn.eventbridge")


@dataclass(frozen=True)
class Failure:
    """Why a delivery ended without reaching its target: ERROR_CODE, ERROR_MESSAGE and the retry limit hit."""

    code: str
    message: str
    exhausted: str | None = None


@dataclass(frozen=True)
class FailedDelivery:
    """What a dead-letter message says about the delivery."""

    delivery_id: str
    rule_arn: str
    target_id: str
    target_arn: str
    event: Mapping[str, Any]
    body: str | None  # the transformed input, when there is one
    attempts: int


class DeadLetterWriter:
    def __init__(
        self, store: DeadLetterStore, metrics: DeliveryMetrics, settings: EventBridgeSettings
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.settings = settings

    def send(self, queue: str, delivery: FailedDelivery, failure: Failure) -> bool:
        """Write the message; False (counted and logged) when it could not be written."""
        attributes = {
            "RULE_ARN": delivery.rule_arn,
            "TARGET_ARN": delivery.target_arn,
            "ERROR_CODE": failure.code,
            "ERROR_MESSAGE": failure.message,
            "RETRY_ATTEMPTS": str(max(0, delivery.attempts - 1)),
        }
        if failure.exhausted is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = failure.exhausted
        original = json.dumps(delivery.event, separators=(",", ":"), ensure_ascii=False)
        transformed = delivery.body if delivery.body is not None else original
        try:
            self.store.send(
                queue,
                body=original if self.settings.dlq_body == "original" else transformed,
                attributes=attributes,
                rule_arn=delivery.rule_arn,
                target_id=delivery.target_id,
                event=delivery.event,
                message_id=delivery.delivery_id,
            )
        except Exception:
            self.metrics.add(delivery.rule_arn, delivery.target_id, FAILED_TO_DLQ)
            log.exception(
                "could not write dead-letter message %s to queue %s (rule=%s target=%s event=%s); the "
                "delivery stays in the journal and is tried again when the local EventBridge starts next",
                delivery.delivery_id,
                queue,
                delivery.rule_arn,
                delivery.target_id,
                delivery.event.get("id"),
            )
            return False
        self.metrics.add(delivery.rule_arn, delivery.target_id, SENT_TO_DLQ)
        return True
