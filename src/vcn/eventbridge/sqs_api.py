"""SQS's `SendMessage` on the local queues, so a function can put a message in a queue of its template.

The local queues are the file-backed store of `dlq.py` (one folder per queue under `<state_dir>/dlq/`), where
rule targets and dead-letter queues already write; `vcn dlq list` and `show` read them. Functions reach this
through `AWS_ENDPOINT_URL` (the EventBridge port), with SQS's JSON 1.0 protocol (`X-Amz-Target:
AmazonSQS.SendMessage`), which botocore speaks. Only `SendMessage` is served: every other operation is
refused with `UnsupportedOperation` naming it, so a function that needs more fails loudly. The queue is named
by the last segment of `QueueUrl`; a message sent this way has no rule to redrive it through.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from vcn.arns import sqs_queue_name_of_url
from vcn.eventbridge.dlq import DeadLetterStore, InvalidName
from vcn.eventbridge.protocol import BodyRefused, json_object

TARGET_PREFIX = "AmazonSQS."
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_BODY_BYTES = 1_048_576  # SendMessage's limit for MessageBody


class SqsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> bytes:
        return json.dumps({"__type": f"com.amazonaws.sqs#{self.code}", "message": self.message}).encode()


def is_sqs_target(target: str | None) -> bool:
    return target is not None and target.startswith(TARGET_PREFIX)


def handle(store: DeadLetterStore, target: str, body: bytes) -> tuple[int, bytes]:
    """(status, JSON body) of one SQS request."""
    operation = target[len(TARGET_PREFIX) :]
    try:
        if operation != "SendMessage":
            raise SqsError(
                "UnsupportedOperation",
                f"{operation or 'this operation'} is not served by the local cloud's queues; "
                "only SendMessage is.",
            )
        result = _send_message(store, _request(body))
    except SqsError as error:
        return error.status, error.body()
    return 200, json.dumps(result).encode()


def _request(body: bytes) -> dict[str, Any]:
    try:
        return json_object(body)
    except BodyRefused as refused:
        raise SqsError("InvalidParameterValue", str(refused)) from None


def _send_message(store: DeadLetterStore, request: dict[str, Any]) -> dict[str, Any]:
    url, text = request.get("QueueUrl"), request.get("MessageBody")
    if not isinstance(url, str) or not url:
        raise SqsError("MissingParameter", "The request must contain the parameter QueueUrl.")
    if not isinstance(text, str) or not text:
        raise SqsError("MissingParameter", "The request must contain the parameter MessageBody.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise SqsError(
            "InvalidParameterValue", f"MessageBody is over {MAX_BODY_BYTES} bytes; send a smaller message."
        )
    queue = sqs_queue_name_of_url(url)
    try:
        message = store.send(queue, body=text, attributes={}, rule_arn="", target_id="", event={})
    except InvalidName as exc:
        raise SqsError("QueueDoesNotExist", f"QueueUrl {url!r}: {exc}") from None
    except OSError as exc:
        raise SqsError("InternalError", f"cannot write to local queue {queue}: {exc}", 500) from None
    digest = hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()
    return {"MessageId": message.message_id, "MD5OfMessageBody": digest}
