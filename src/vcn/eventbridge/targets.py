"""PutTargets validation: one Target entry becomes a `Target` (input, retry policy, dead-letter queue, HTTP
parameters) or a ValidationException that says what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.errors import validation_error
from vcn.eventbridge.input_transformer import parse_target_input
from vcn.eventbridge.model import Target
from vcn.eventbridge.params import NAME_PATTERN, optional_int, optional_map, required_str
from vcn.eventbridge.retry import (
    MAX_EVENT_AGE_SECONDS,
    MAX_RETRY_ATTEMPTS,
    MIN_EVENT_AGE_SECONDS,
    RetryPolicy,
)


def parse_target(entry: Any) -> Target:
    if not isinstance(entry, Mapping):
        raise validation_error("Each entry of Targets must be an object with at least Id and Arn.")
    target_id = required_str(entry, "Id")
    if not target_id or len(target_id) > 64 or not NAME_PATTERN.match(target_id):
        raise validation_error(
            f"Target Id {target_id!r} is not valid: use 1 to 64 letters, digits, '.', '-' or '_'."
        )
    arn = required_str(entry, "Arn")
    if not arn.startswith("arn:"):
        raise validation_error(f"Target {target_id}: Arn {arn!r} is not an ARN.")
    return Target(
        id=target_id,
        arn=arn,
        spec=dict(entry),
        input=parse_target_input(target_id, entry),
        retry_policy=_retry_policy(target_id, optional_map(entry, "RetryPolicy")),
        dead_letter_queue=_dead_letter_queue(target_id, optional_map(entry, "DeadLetterConfig")),
        http_parameters=_http_parameters(target_id, optional_map(entry, "HttpParameters")),
    )


def _retry_policy(target_id: str, policy: Mapping[str, Any]) -> RetryPolicy:
    attempts = optional_int(policy, "MaximumRetryAttempts")
    age = optional_int(policy, "MaximumEventAgeInSeconds")
    if attempts is not None and not 0 <= attempts <= MAX_RETRY_ATTEMPTS:
        raise validation_error(
            f"RetryPolicy of target {target_id}: MaximumRetryAttempts must be between 0 and "
            f"{MAX_RETRY_ATTEMPTS}."
        )
    if age is not None and not MIN_EVENT_AGE_SECONDS <= age <= MAX_EVENT_AGE_SECONDS:
        raise validation_error(
            f"RetryPolicy of target {target_id}: MaximumEventAgeInSeconds must be between "
            f"{MIN_EVENT_AGE_SECONDS} and {MAX_EVENT_AGE_SECONDS}."
        )
    return RetryPolicy(
        maximum_retry_attempts=MAX_RETRY_ATTEMPTS if attempts is None else attempts,
        maximum_event_age_seconds=MAX_EVENT_AGE_SECONDS if age is None else age,
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


def _http_parameters(target_id: str, parameters: Mapping[str, Any]) -> Mapping[str, Any]:
    path_values = parameters.get("PathParameterValues", [])
    if not isinstance(path_values, list) or not all(isinstance(value, str) for value in path_values):
        raise validation_error(
            f"HttpParameters.PathParameterValues of target {target_id} must be a list of strings."
        )
    for name in ("HeaderParameters", "QueryStringParameters"):
        values = parameters.get(name, {})
        if not isinstance(values, Mapping) or not all(isinstance(value, str) for value in values.values()):
            raise validation_error(f"HttpParameters.{name} of target {target_id} must map names to strings.")
    return dict(parameters)
