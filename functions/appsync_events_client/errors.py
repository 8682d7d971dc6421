"""Typed errors of the AppSync Events client, each carrying the service's `errorType` and message.

AppSync Events reports failures as `{"errors": [{"errorType": .., "message": ..}]}` in a WebSocket frame
(`connection_error`, `subscribe_error`, `publish_error`, `unsubscribe_error`, `error`) or an HTTP body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

UNAUTHORIZED_TYPES = frozenset({"UnauthorizedException", "Unauthorized", "NotAuthorizedException"})


class EventsError(Exception):
    """A failure reported by (or on the way to) an AppSync Events API.

    `error_type` is the service's `errorType` (e.g. `UnauthorizedException`), `message` its message,
    `errors` every error object the service sent and `status` the HTTP status where there is one.
    """

    def __init__(
        self,
        error_type: str,
        message: str = "",
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        status: int | None = None,
    ) -> None:
        super().__init__(f"{error_type}: {message}" if message else error_type)
        self.error_type = error_type
        self.message = message
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]
        self.status = status

    @property
    def is_unauthorized(self) -> bool:
        """True when the service refused the caller's authorization (the same auth will fail again)."""
        return self.error_type in UNAUTHORIZED_TYPES or self.status in (401, 403)

    @classmethod
    def from_errors(cls, errors: Any, *, status: int | None = None, fallback: str = "UnknownError") -> Self:
        """Build the error from the service's `errors` list (tolerating a missing or malformed one)."""
        items = [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
        first = items[0] if items else {}
        error_type = str(first.get("errorType") or fallback)
        message = str(first.get("message") or "")
        return cls(error_type, message, errors=items, status=status)


class ConnectError(EventsError):
    """The WebSocket could not be opened or the service answered `connection_error`."""


class SubscribeError(EventsError):
    """The service answered `subscribe_error` (or `error`) to a subscribe."""


class UnsubscribeError(EventsError):
    """The service answered `unsubscribe_error` to an unsubscribe."""


class PublishError(EventsError):
    """A publish over WebSocket (`publish_error`) or HTTP (non-2xx) was refused."""


class ConnectionLost(EventsError):
    """The connection dropped before the operation completed, or could not be re-established."""


class OperationTimeout(EventsError):
    """The service did not answer an operation within the client's operation timeout."""
