"""The Lambda invoker port: how emulated services (EventBridge targets, AppSync handlers) call functions.

The Lambda runtime implements it with warm worker processes; tests use an invoker over plain callables.
A function is named by its local ARN (`arn:aws:lambda:<region>:<account>:function:<name>`) or its bare name.
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
class HandOverFailure:
    """Why an asynchronous invocation was not accepted, as the AWS error a caller reports for it."""

    code: str
    message: str
    retryable: bool  # a missing function stays missing; anything else may pass on a later attempt


async def hand_over(invoker: LambdaInvoker, function: str, payload: Any) -> HandOverFailure | None:
    """Invoke `function` asynchronously (Event) for a target: None once accepted, else why it was not."""
    try:
        await invoker.invoke_async(function, payload)
    except FunctionNotFound:
        return HandOverFailure("ResourceNotFoundException", f"Lambda function not found: {function}", False)
    except Exception as exc:
        return HandOverFailure("LambdaServiceException", f"{type(exc).__name__}: {exc}", True)
    return None
