"""The Lambda invoker port: how emulated services (EventBridge targets, AppSync handlers) call functions.

The Lambda runtime implements it with warm worker processes; tests pass plain callables via `CallableInvoker`.
A function is named by its local ARN (`arn:aws:lambda:<region>:<account>:function:<name>`) or its bare name.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from vcn.arns import function_name


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


Handler = Callable[[Any], Any] | Callable[[Any], Awaitable[Any]]


class CallableInvoker:
    """An invoker over plain Python callables keyed by function name (for tests and embedding)."""

    def __init__(self, functions: Mapping[str, Handler]) -> None:
        self._functions = dict(functions)
        self._background: set[asyncio.Task[Any]] = set()

    def _lookup(self, function: str) -> Handler:
        try:
            return self._functions[function_name(function)]
        except KeyError:
            raise FunctionNotFound(function) from None

    async def invoke(self, function: str, payload: Any) -> Any:
        handler = self._lookup(function)
        try:
            result = handler(payload)
            if inspect.isawaitable(result):
                result = await result
        except FunctionError:
            raise
        except Exception as exc:  # a failing function is a result, not a crash of the caller
            raise FunctionError(type(exc).__name__, str(exc)) from exc
        return result

    async def invoke_async(self, function: str, payload: Any) -> None:
        self._lookup(function)
        task = asyncio.get_running_loop().create_task(self._swallow(function, payload))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _swallow(self, function: str, payload: Any) -> None:
        # asynchronous invocations never raise to the caller
        with contextlib.suppress(Exception):
            await self.invoke(function, payload)
