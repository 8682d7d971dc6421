"""A function's own dead-letter queue (`DeadLetterQueue`): where its failed async invocations land.

Lambda sends the event with the attributes `RequestID`, `ErrorCode` and `ErrorMessage` (first 1 KB).
Locally the message also remembers the EventBridge rule and target that invoked the function, so
`vcn dlq redrive` can send it through that rule's target again once the cause is fixed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from vcn.arns import bus_name, function_name, is_lambda_function, rule_arn, sqs_queue_name
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.invoker import FunctionError
from vcn.lambda_runtime import FunctionSpec

log = logging.getLogger("vcn.local")
ERROR_MESSAGE_LIMIT = 1024


def rule_targets_by_function(
    calls: list[tuple[str, dict[str, Any]]],
    region: str = LOCAL_ACCOUNT.region,
    account: str = LOCAL_ACCOUNT.account_id,
) -> dict[str, tuple[str, str]]:
    """Function name -> (rule ARN, target id) for every EventBridge rule target that is a Lambda function."""
    found: dict[str, tuple[str, str]] = {}
    for operation, request in calls:
        if operation != "PutTargets":
            continue
        bus = bus_name(request.get("EventBusName"))
        for target in request.get("Targets", []):
            arn = str(target.get("Arn", ""))
            if is_lambda_function(arn):
                rule = rule_arn(region, account, bus, str(request["Rule"]))
                found.setdefault(function_name(arn), (rule, str(target["Id"])))
    return found


class FunctionDeadLetters:
    """The runtime's `on_async_failure` hook: writes the failed event to the function's dead-letter queue."""

    def __init__(self, store: DeadLetterStore, invoked_by: Mapping[str, tuple[str, str]]) -> None:
        self.store = store
        self.invoked_by = dict(invoked_by)

    def __call__(self, spec: FunctionSpec, payload: Any, error: FunctionError) -> None:
        if not spec.dead_letter_arn:
            return
        queue = sqs_queue_name(spec.dead_letter_arn)
        rule_arn, target_id = self.invoked_by.get(spec.name, ("", ""))
        message = self.store.send(
            queue,
            body=json.dumps(payload),
            attributes={
                "RequestID": str(uuid.uuid4()),
                "ErrorCode": "200",  # the Invoke call itself succeeded; the function failed
                "ErrorMessage": f"{error.error_type}: {error.error_message}"[:ERROR_MESSAGE_LIMIT],
            },
            rule_arn=rule_arn,
            target_id=target_id,
            event=payload if isinstance(payload, dict) else {"payload": payload},
        )
        log.warning(
            "[%s] failed event kept in dead-letter queue %s as %s", spec.name, queue, message.message_id
        )
