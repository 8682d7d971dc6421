"""Where a function's failed asynchronous invocations land: its dead-letter queue, its on-failure destination.

The dead-letter queue (`DeadLetterConfig`) gets the event itself with the attributes `RequestID`,
`ErrorCode` and `ErrorMessage` (first 1 KB), as Lambda sends it. Locally the message also remembers the
EventBridge rule and target that invoke the function, so `vcn dlq redrive` can send it through that rule's
target again once the cause is fixed.

The on-failure destination (`EventInvokeConfig.DestinationConfig.OnFailure`, an SQS queue) gets Lambda's
invocation record: `{"version", "timestamp", "requestContext": {"requestId", "functionArn", "condition",
"approximateInvokeCount"}, "requestPayload", "responseContext", "responsePayload"}`. Both kinds of queue are
the local cloud's file-backed queues, so `vcn dlq list` shows them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from vcn.arns import function_name, sqs_queue_name
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.model import LambdaTarget
from vcn.lambda_runtime import AsyncInvocationFailure

log = logging.getLogger("vcn.local")
ERROR_MESSAGE_LIMIT = 1024


def invoking_target(function: str, targets: Iterable[LambdaTarget]) -> LambdaTarget | None:
    """The first EventBridge rule target that invokes `function` (a name), if any does."""
    return next((target for target in targets if function_name(target.function_arn) == function), None)


def invocation_record(failure: AsyncInvocationFailure, now: datetime | None = None) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination."""
    invocation = failure.invocation
    moment = now or datetime.now(UTC)
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": invocation.request_id,
            "functionArn": f"{invocation.spec.arn}:$LATEST",
            "condition": failure.condition,
            "approximateInvokeCount": invocation.attempts,
        },
        "requestPayload": invocation.payload,
    }
    error = invocation.last_error
    if error is not None:
        record["responseContext"] = {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        record["responsePayload"] = {"errorMessage": error.error_message, "errorType": error.error_type}
    return record


class FunctionDeadLetters:
    """The runtime's `on_async_failure` hook: the dead-letter queue and the on-failure destination.

    `lambda_targets` reads EventBridge's rules when a function fails (e.g. `ControlPlane.lambda_targets`).
    """

    def __init__(self, store: DeadLetterStore, lambda_targets: Callable[[], Iterable[LambdaTarget]]) -> None:
        self.store = store
        self.lambda_targets = lambda_targets

    def __call__(self, failure: AsyncInvocationFailure) -> None:
        kept = False
        if failure.spec.dead_letter_arn:
            self._dead_letter(failure, failure.spec.dead_letter_arn)
            kept = True
        if failure.spec.async_invoke.on_failure:
            self._on_failure_destination(failure, failure.spec.async_invoke.on_failure)
            kept = True
        if not kept:
            log.warning(
                "[%s] the failed event is dropped: the function has no dead-letter queue and no on-failure "
                "destination (Lambda would drop it too)",
                failure.spec.name,
            )

    def _dead_letter(self, failure: AsyncInvocationFailure, queue_arn: str) -> None:
        queue = sqs_queue_name(queue_arn)
        error = failure.error
        reason = f"{error.error_type}: {error.error_message}" if error else failure.condition
        target = invoking_target(failure.spec.name, self.lambda_targets())
        payload = failure.payload
        message = self.store.send(
            queue,
            body=json.dumps(payload),
            attributes={
                "RequestID": failure.invocation.request_id,
                "ErrorCode": "200",  # the Invoke call itself succeeded; the function failed
                "ErrorMessage": reason[:ERROR_MESSAGE_LIMIT],
            },
            rule_arn=target.rule_arn if target else "",
            target_id=target.target_id if target else "",
            event=payload if isinstance(payload, dict) else {"payload": payload},
        )
        log.warning(
            "[%s] failed event kept in dead-letter queue %s as %s",
            failure.spec.name,
            queue,
            message.message_id,
        )

    def _on_failure_destination(self, failure: AsyncInvocationFailure, queue_arn: str) -> None:
        queue = sqs_queue_name(queue_arn)
        record = invocation_record(failure)
        message = self.store.send(
            queue, body=json.dumps(record), attributes={}, rule_arn="", target_id="", event=record
        )
        log.warning(
            "[%s] invocation record (%s) sent to the on-failure destination %s as %s",
            failure.spec.name,
            failure.condition,
            queue,
            message.message_id,
        )
