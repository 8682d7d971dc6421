"""EventBridge API errors: the AWS error code, its message and the HTTP status the wire protocol sends."""

from __future__ import annotations


class EventBridgeError(Exception):
    """An error the EventBridge API returns as `{"__type": code, "message": message}`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> EventBridgeError:
    return EventBridgeError("ValidationException", message)


def not_found(message: str) -> EventBridgeError:
    return EventBridgeError("ResourceNotFoundException", message)


def already_exists(message: str) -> EventBridgeError:
    return EventBridgeError("ResourceAlreadyExistsException", message)


def limit_exceeded(message: str) -> EventBridgeError:
    return EventBridgeError("LimitExceededException", message)
