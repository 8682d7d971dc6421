"""The Lambda invoker port: how emulated services (EventBridge targets, AppSync handlers) call functions.

The Lambda runtime implements it with warm worker processes; tests use an invoker over plain callables.
A function is named by its local ARN (`arn:aws:lambda:<region>:<account>:function:<name>`) or its bare name.
`TargetAttempt` is how one attempt at any target ended, for the services that retry and dead-letter
deliveries (EventBridge rules, Scheduler schedules); `hand_over` makes such an attempt at a function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class FunctionError(Exception):
    """The function ran and failed (what Lambda reports as `FunctionError: Unhandled`)."""

    def __init__(self, error_type: str, error_message: str) -> None:
        super().__init__(f"{error_type}: {error_message}")
        self.error_type = error_type
        self.error_message = error_message


class FunctionNotFound(LookupError):
    """No function with that name or ARN exists in the local cloud."""


class LambdaInvoker(Protocol):
    async def invoke(self, function: str, payload: Any) -> Any:
        """RequestResponse: the function's result (a JSON value); raises FunctionError or FunctionNotFound."""
        ...

    async def invoke_async(self, function: str, payload: Any) -> None:
        """Event: queue the invocation and return at once; failures are logged, never raised to the caller."""
        ...


@dataclass(frozen=True)
class TargetAttempt:
    """How one attempt at a target (a function, an API destination, a queue, a bus) ended."""

    delivered: bool
    retryable: bool = False  # a failure that may pass on a later attempt
    error_code: str = ""
    error_message: str = ""
    retry_after: float | None = None  # seconds the target asked to wait (an HTTP Retry-After)


DELIVERED = TargetAttempt(True)


async def hand_over(invoker: LambdaInvoker | None, function: str, payload: Any) -> TargetAttempt:
    """Invoke `function` asynchronously (Event) for a target: delivered once accepted, else why it was not.

    A missing function stays missing (not retryable); any other refusal may pass on a later attempt.
    """
    if invoker is None:
        missing = f"No Lambda runtime is attached; cannot invoke {function}."
        return TargetAttempt(False, False, "ResourceNotFoundException", missing)
    try:
        await invoker.invoke_async(function, payload)
    except FunctionNotFound:
        missing = f"Lambda function not found: {function}"
        return TargetAttempt(False, False, "ResourceNotFoundException", missing)
    except Exception as exc:
        return TargetAttempt(False, True, "LambdaServiceException", f"{type(exc).__name__}: {exc}")
    return DELIVERED
