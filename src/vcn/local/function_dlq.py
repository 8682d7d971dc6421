"""A function's own dead-letter queue (`DeadLetterQueue`): where its failed async invocations land.

Lambda sends the event with the attributes `RequestID`, `ErrorCode` and `ErrorMessage` (first 1 KB).
Locally the message also remembers the EventBridge rule and target that invoke the function, so
`vcn dlq redrive` can send it through that rule's target again once the cause is fixed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from vcn.arns import function_name, sqs_queue_name
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.model import LambdaTarget
from vcn.invoker import FunctionError
from vcn.lambda_runtime import FunctionSpec

log = logging.getLogger("vcn.local")
ERROR_MESSAGE_LIMIT = 1024


def invoking_target(function: str, targets: Iterable[LambdaTarget]) -> LambdaTarget | None:
    """The first EventBridge rule target that invokes `function` (a name), if any does."""
    return next((target for target in targets if function_name(target.function_arn) == function), None)


class FunctionDeadLetters:
    """The runtime's `on_async_failure` hook: writes the failed event to the function's dead-letter queue.

    `lambda_targets` reads EventBridge's rules when a function fails (e.g. `ControlPlane.lambda_targets`).
    """

    def __init__(self, store: DeadLetterStore, lambda_targets: Callable[[], Iterable[LambdaTarget]]) -> None:
        self.store = store
        self.lambda_targets = lambda_targets

    def __call__(self, spec: FunctionSpec, payload: Any, error: FunctionError) -> None:
        if not spec.dead_letter_arn:
            return
        queue = sqs_queue_name(spec.dead_letter_arn)
        target = invoking_target(spec.name, self.lambda_targets())
        message = self.store.send(
            queue,
            body=json.dumps(payload),
            attributes={
                "RequestID": str(uuid.uuid4()),
                "ErrorCode": "200",  # the Invoke call itself succeeded; the function failed
                "ErrorMessage": f"{error.error_type}: {error.error_message}"[:ERROR_MESSAGE_LIMIT],
            },
            rule_arn=target.rule_arn if target else "",
            target_id=target.target_id if target else "",
            event=payload if isinstance(payload, dict) else {"payload": payload},
        )
        log.warning(
            "[%s] failed event kept in dead-letter queue %s as %s", spec.name, queue, message.message_id
        )
