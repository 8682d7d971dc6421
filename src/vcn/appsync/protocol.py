"""AppSync Events wire protocol: the frames the server sends, the documented error types and messages, limits.

Everything a client can see on the wire (frame shapes, `errorType` strings, messages, HTTP statuses) is
defined here so that matching AWS more closely is a one-line change. Entries marked UNCONFIRMED have no
primary source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SUBPROTOCOL = "aws-appsync-event-ws"
HEADER_SUBPROTOCOL_PREFIX = "header-"
CONNECTION_TIMEOUT_MS = 300_000

UNAUTHORIZED_MESSAGE = "You are not authorized to make this call."
BROADCAST_ERROR_MESSAGE = "There was an error processing the message"


@dataclass(frozen=True)
class AppSyncLimits:
    """Service quotas (AWS defaults); tests shrink the timers and queue sizes."""

    max_events_per_publish: int = 5
    max_event_bytes: int = 240 * 1024
    max_request_bytes: int = 1_200_000
    publishes_per_second: float = 25.0
    max_subscriptions_per_connection: int = 200
    max_connection_seconds: float = 24 * 3600
    # Local choice: bytes a connection may have queued before it counts as a client that cannot keep up.
    outbound_queue_bytes: int = 4 * 1024 * 1024
    # Local choice: bytes all slow connections together may have queued; over it, the one behind the longest
    # is dropped first. Bounds the server's memory however many clients stop reading.
    outbound_total_bytes: int = 256 * 1024 * 1024


def dumps(value: Any) -> str:
    """Compact JSON, as the service writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def event_json(value: Any) -> str:
    """A handler's payload as the event text subscribers receive, or ValueError when it is not JSON text
    (NaN, Infinity, a lone surrogate, nesting Python cannot serialise)."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise ValueError("the payload nests too deeply to serialise") from None
    text.encode()  # UnicodeEncodeError (a ValueError) for a lone surrogate
    return text


def _dumps_ascii(value: Any) -> str:
    # Error messages quote what the client sent, which may hold lone surrogates that UTF-8 cannot encode.
    return json.dumps(value, separators=(",", ":"))


class AppSyncError(Exception):
    """An error a client caused; rendered as an `errors` entry (WebSocket) or an HTTP error body."""

    def __init__(self, error_type: str, message: str | None = None, *, status: int = 400) -> None:
        super().__init__(f"{error_type}: {message}" if message else error_type)
        self.error_type = error_type
        self.message = message
        self.status = status

    def as_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"errorType": self.error_type}
        if self.message is not None:
            entry["message"] = self.message
        return entry


def unauthorized() -> AppSyncError:
    return AppSyncError("UnauthorizedException", UNAUTHORIZED_MESSAGE, status=401)


def unknown_namespace() -> AppSyncError:
    # AWS answers a channel in a namespace that does not exist with a bare UnauthorizedException (no message).
    return AppSyncError("UnauthorizedException", None, status=401)


def bad_request(message: str) -> AppSyncError:
    return AppSyncError("BadRequestException", message, status=400)


def too_many_events(*, websocket: bool, limit: int) -> AppSyncError:
    if websocket:
        return AppSyncError("InvalidInputError", f"input exceeded {limit} event limit")
    return AppSyncError("BadRequestException", f"Input exceeded {limit} event limit")


def invalid_input(message: str, *, websocket: bool) -> AppSyncError:
    return AppSyncError("InvalidInputError" if websocket else "BadRequestException", message)


def subscription_denied(message: str | None) -> AppSyncError:
    # An onSubscribe handler's `{"error": ..}` or an UnauthorizedException raised by it.
    return AppSyncError("Unauthorized", message or UNAUTHORIZED_MESSAGE, status=403)


def publish_denied(message: str | None) -> AppSyncError:
    # UNCONFIRMED: the errorType of an onPublish `{"error": ..}` reply; the spec only fixes HTTP 403.
    return AppSyncError("Unauthorized", message or UNAUTHORIZED_MESSAGE, status=403)


def handler_failed(operation: str) -> AppSyncError:
    if operation == "SUBSCRIBE":
        return AppSyncError("SubscriptionProcessingError", "The subscription handler failed", status=500)
    # UNCONFIRMED: a crashed onPublish handler; reported like a failed broadcast.
    return AppSyncError("MessageProcessingError", BROADCAST_ERROR_MESSAGE, status=500)


def payload_too_large(limit: int) -> AppSyncError:
    # UNCONFIRMED: AWS's errorType and message for a publish request over the size limit (413 is HTTP's).
    return AppSyncError(
        "BadRequestException",
        f"Request body exceeds the {limit}-byte limit of a publish request; send fewer or smaller events",
        status=413,
    )


def body_timeout(seconds: float) -> AppSyncError:
    # UNCONFIRMED: how AWS answers a request body that stops arriving; 408 is HTTP's answer.
    return AppSyncError(
        "BadRequestException",
        f"The request body stopped arriving for {seconds:g} s; send the whole body at once",
        status=408,
    )


def internal_failure() -> AppSyncError:
    # A bug in the local cloud, not in the request; the traceback is in the `vcn.appsync` log.
    return AppSyncError("InternalFailure", "The local AppSync server failed; see its log", status=500)


def max_subscriptions(limit: int) -> AppSyncError:
    return AppSyncError(
        "MaxSubscriptionsReachedError", f"Max number of subscriptions ({limit}) reached for this connection"
    )


def duplicate_subscription(sub_id: str) -> AppSyncError:
    # UNCONFIRMED: errorType of a reused subscription id (AppSync GraphQL real-time uses this name).
    return AppSyncError("DuplicatedOperationError", f"Duplicate subscription id {sub_id}")


def unknown_operation(sub_id: str) -> AppSyncError:
    return AppSyncError("UnknownOperationError", f"Unknown operation id {sub_id}")


def rate_exceeded(limit: float) -> AppSyncError:
    # UNCONFIRMED: errorType of the per-connection publish rate limit.
    return AppSyncError(
        "TooManyRequestsException",
        f"Rate exceeded: at most {limit:g} publishes per second per connection; slow down and retry",
        status=429,
    )


# ---- server -> client frames -------------------------------------------------------------------------------

KEEP_ALIVE = dumps({"type": "ka"})
CONNECTION_ACK = dumps({"type": "connection_ack", "connectionTimeoutMs": CONNECTION_TIMEOUT_MS})


def connection_error(error: AppSyncError) -> str:
    entry = error.as_entry()
    entry["errorCode"] = error.status
    return _dumps_ascii({"type": "connection_error", "errors": [entry]})


def error_frame(op_id: str | None, error: AppSyncError, *, frame_type: str = "error") -> str:
    frame: dict[str, Any] = {"type": frame_type}
    if op_id is not None:
        frame["id"] = op_id
    frame["errors"] = [error.as_entry()]
    return _dumps_ascii(frame)


def subscribe_success(sub_id: str) -> str:
    return dumps({"type": "subscribe_success", "id": sub_id})


def unsubscribe_success(sub_id: str) -> str:
    return dumps({"type": "unsubscribe_success", "id": sub_id})


def publish_success(op_id: str, successful: list[dict[str, Any]], failed: list[dict[str, Any]]) -> str:
    return dumps({"type": "publish_success", "id": op_id, "successful": successful, "failed": failed})


def broadcast_error(sub_id: str) -> str:
    return error_frame(
        sub_id, AppSyncError("MessageProcessingError", BROADCAST_ERROR_MESSAGE), frame_type="broadcast_error"
    )


def data_frame_prefix(sub_id: str) -> bytes:
    """The per-subscription head of a `data` frame; the id alphabet needs no JSON escaping."""
    return b'{"type":"data","id":"' + sub_id.encode() + b'","event":'


def encode_event(event: str) -> bytes:
    """The tail shared by every `data` frame of one event: the event as a JSON string literal, then `}`."""
    return (dumps(event) + "}").encode()


def http_errors(error: AppSyncError) -> str:
    return _dumps_ascii({"errors": [error.as_entry()]})
