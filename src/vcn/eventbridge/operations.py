"""The operation table of the local EventBridge: every operation of botocore's model answers.

Each request is first checked against the model (`request_validation`); then the operation's handler runs,
or, for an operation the local EventBridge does not emulate, an `UnsupportedOperation` error names it and
says why. An AWS client therefore never sees UnknownOperationException for a real EventBridge operation, and
emulating one more operation is registering its handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.request_validation import validate_request
from vcn.eventbridge.service_model import operation_names

# A control-plane operation answers at once.
Operation = Callable[[Mapping[str, Any]], dict[str, Any]]
# Any operation of the service: at once, or (PutEvents, which waits for the delivery journal) when awaited.
ServiceOperation = Callable[[Mapping[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]

UNSUPPORTED = "UnsupportedOperation"

# Why operations are not emulated, by a word in their name (the first match wins).
_WHY_NOT = (
    ("Endpoint", "global endpoints fail over between AWS Regions, and the local cloud is one Region"),
    ("Partner", "partner event sources belong to SaaS partners' AWS accounts"),
    ("EventSource", "partner event sources belong to SaaS partners' AWS accounts"),
)


def unsupported(operation: str) -> Operation:
    """A handler that refuses `operation` with a message naming it."""
    reason = next((why for word, why in _WHY_NOT if word in operation), "it is not emulated")

    def refuse(_: Mapping[str, Any]) -> dict[str, Any]:
        raise EventBridgeError(
            UNSUPPORTED,
            f"The local EventBridge does not support {operation}: {reason}. "
            "Its request was valid; run it against AWS, or see the README for what runs locally.",
        )

    return refuse


def operation_table(handlers: Mapping[str, ServiceOperation]) -> dict[str, ServiceOperation]:
    """Every model operation, validated, running its handler or refusing as unsupported."""
    known = set(operation_names())
    strangers = sorted(set(handlers) - known)
    if strangers:
        raise ValueError(f"handlers for operations EventBridge does not have: {', '.join(strangers)}")
    return {name: _validated(name, handlers.get(name) or unsupported(name)) for name in sorted(known)}


def _validated(operation: str, handler: ServiceOperation) -> ServiceOperation:
    def run(request: Mapping[str, Any]) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        validate_request(operation, request)
        return handler(request)

    return run
