"""AWS JSON 1.1 wire protocol of EventBridge: the operation from `X-Amz-Target`, the JSON body, and responses
and errors (`{"__type": code, "message": ...}`) as botocore expects them. Signatures are not checked."""

from __future__ import annotations

import json
from typing import Any

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


def parse_request(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventBridgeError(
            "SerializationException", f"The request body is not valid JSON: {exc}"
        ) from None
    if not isinstance(request, dict):
        raise EventBridgeError("SerializationException", "The request body must be a JSON object.")
    return request


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_body(error: EventBridgeError) -> bytes:
    return encode({"__type": error.code, "message": error.message})
