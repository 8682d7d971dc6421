"""PutTargets semantics beyond the service model's constraints: one Target entry becomes a `Target` (input,
retry policy, dead-letter queue, HTTP parameters) or a ValidationException that says what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.errors import validation_error
from vcn.eventbridge.input_transformer import parse_target_input
from vcn.eventbridge.model import Target
from vcn.eventbridge.retry import MAX_EVENT_AGE_SECONDS, MAX_RETRY_ATTEMPTS, RetryPolicy


def parse_target(entry: Mapping[str, Any]) -> Target:
    """A Target entry that already satisfies the model (ids, ARN lengths, retry ranges, parameter types)."""
    target_id = entry["Id"]
    arn = entry["Arn"]
    if not arn.startswith("arn:"):
        raise validation_error(f"Target {target_id}: Arn {arn!r} is not an ARN.")
    policy = entry.get("RetryPolicy") or {}
    return Target(
        id=target_id,
        arn=arn,
        spec=dict(entry),
        input=parse_target_input(target_id, entry),
        retry_policy=RetryPolicy(
            maximum_retry_attempts=policy.get("MaximumRetryAttempts", MAX_RETRY_ATTEMPTS),
            maximum_event_age_seconds=policy.get("MaximumEventAgeInSeconds", MAX_EVENT_AGE_SECONDS),
        ),
        dead_letter_queue=_dead_letter_queue(target_id, entry.get("DeadLetterConfig") or {}),
        http_parameters=dict(entry.get("HttpParameters") or {}),
    )


def _dead_letter_queue(target_id: str, config: Mapping[str, Any]) -> str | None:
    arn = config.get("Arn")
    if arn is None:
        return None
    try:
        return arns.sqs_queue_name(str(arn))
    except ValueError:
        raise validation_error(
            f"DeadLetterConfig of target {target_id}: {arn!r} is not an SQS queue ARN "
            "(arn:aws:sqs:<region>:<account>:<QueueName>)."
        ) from None
