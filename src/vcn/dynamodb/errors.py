"""Errors of the local DynamoDB, shared by the service process and the local cloud that runs it."""

from __future__ import annotations


class DynamoDbError(Exception):
    """DynamoDB refused a request: its error type (e.g. ResourceNotFoundException) and message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


class DynamoDbUnavailable(Exception):
    """The local DynamoDB did not start; `reason`: `port_in_use`, `state_in_use`, `timeout` or `exited`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class TableMismatch(Exception):
    """A table kept in the state folder cannot become what the template declares without losing its items."""
