"""Item reads answered with plain JSON: moto's generic reply serializer costs about 1 ms per item.

moto 5 serializes every reply by walking botocore's output shape, member by member, for every attribute of
every item; a Query page of 100 items spends most of its time there. For the operations that return items
(`GetItem`, `BatchGetItem`, `Query`, `Scan`) the reply moto builds is already DynamoDB's wire JSON once
binary values are base64-encoded, so it is written with `json.dumps` instead. Errors and every other
operation still go through moto's serializer (tests/dynamodb compare both on every attribute type).
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

FAST_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
_CONTENT_TYPE = "application/x-amz-json-1.0"


def _wire(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def fast_body(result: dict[str, Any]) -> str:
    return json.dumps(result, default=_wire, separators=(",", ":"))


def install_fast_replies() -> None:
    """Wrap moto's `DynamoHandler.serialized` once per process."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.serialized
    if getattr(original, "vcn_fast_replies", False):
        return

    @functools.wraps(original)
    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if isinstance(result, dict) and self._get_action() in FAST_OPERATIONS:
            try:
                body = fast_body(result)
            except TypeError:  # a value json cannot write: moto's serializer knows what to do with it
                return original(self, action_result)
            headers = {"Content-Type": _CONTENT_TYPE}
            headers.update(self.response_headers)
            return 200, headers, body
        return original(self, action_result)

    serialized.vcn_fast_replies = True  # type: ignore[attr-defined]
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
