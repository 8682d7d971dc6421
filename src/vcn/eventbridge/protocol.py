"""AWS JSON 1.1 wire protocol of EventBridge: the operation from `X-Amz-Target`, the JSON body, and responses
and errors (`{"__type": code, "message": ...}`) as botocore expects them. Signatures are not checked."""

from __future__ import annotations

import json
from typing import Any

from vcn.eventbridge import strict_json
from vcn.eventbridge.errors import EventBridgeError

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AWSEvents."


def operation_from_target(target: str | None) -> str:
    if not target or not target.startswith(TARGET_PREFIX) or len(target) == len(TARGET_PREFIX):
        raise EventBridgeError(
            "UnknownOperationException",
            f"X-Amz-Target {target!r} does not name an EventBridge operation; "
            "expected AWSEvents.<Operation>.",
        )
    return target[len(TARGET_PREFIX) :]


class BodyRefused(ValueError):
    """A JSON 1.0 request body that is not one strict JSON object; the message says why, as AWS words it."""


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON 1.0 request's document (an empty body is `{}`); BodyRefused for anything that is not a strict
    JSON object within limits (nesting depth, NaN/Infinity, out-of-range numbers, text that is not Unicode).
    Each service answers the refusal with its own error code."""
    if not body.strip():
        return {}
    try:
        request = strict_json.parse(body)
    except strict_json.JsonRefused as exc:
        raise BodyRefused(f"The request body is not valid JSON: {exc.reason}.") from None
    if not isinstance(request, dict):
        raise BodyRefused("The request body must be a JSON object.")
    return request


def parse_request(body: bytes) -> dict[str, Any]:
    """The request document; SerializationException for a body that is not a strict JSON object."""
    try:
        return json_object(body)
    except BodyRefused as refused:
        raise EventBridgeError("SerializationException", str(refused)) from None


def too_large(size: int | None, limit: int, entries_limit: int) -> EventBridgeError:
    """A body over the local limit: 413, which no AWS SDK retries (after a 5xx it would upload it again)."""
    # UNCONFIRMED: AWS's code for an oversized EventBridge request (Lambda's 413 is RequestTooLargeException).
    size_text = f"of {size} bytes " if size is not None else ""
    return EventBridgeError(
        "RequestTooLargeException",
        f"The request body {size_text}is over the limit of {limit} bytes; PutEvents takes at most "
        f"{entries_limit} bytes of entries per call: send smaller batches.",
        413,
    )


def encode(document: Any) -> bytes:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A string that is not Unicode text (an unpaired surrogate) still travels, as a JSON escape.
        return json.dumps(document, separators=(",", ":")).encode("ascii")


def error_body(error: EventBridgeError) -> bytes:
    return encode({"__type": error.code, "message": error.message})
