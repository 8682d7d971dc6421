"""SQS queue targets: a rule's (transformed) event becomes one message in the local queue store.

The local SQS is the file-backed store of `dlq.py` (one folder per queue under `<state_dir>/dlq/`), so a
queue target's messages are listed, shown and counted like dead letters. As on AWS, the body is the target's
input and the message has no EventBridge attributes; the store also keeps the rule, the target and the
original event beside it, which is what lets `vcn dlq show` say which part of the rule's pattern matched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.model import Target
from vcn.invoker import DELIVERED, TargetAttempt

log = logging.getLogger("vcn.eventbridge")


def send_to_queue(
    store: DeadLetterStore, rule_arn: str, target: Target, event: Mapping[str, Any], body: str
) -> TargetAttempt:
    """One SendMessage to the target's queue; an I/O failure is retried like any failed attempt."""
    queue = arns.sqs_queue_name(target.arn)
    try:
        message = store.send(
            queue, body=body, attributes={}, rule_arn=rule_arn, target_id=target.id, event=event
        )
    except OSError as exc:
        return TargetAttempt(False, True, "SQS.InternalError", f"cannot write to local queue {queue}: {exc}")
    log.info(
        "rule %s sent event %s to queue %s (message %s)", rule_arn, event.get("id"), queue, message.message_id
    )
    return DELIVERED
