"""`CallableInvoker`: the Lambda invoker port over plain Python callables, for tests of the emulators."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from vcn.arns import function_name
from vcn.invoker import FunctionError, FunctionNotFound

Handler = Callable[[Any], Any] | Callable[[Any], Awaitable[Any]]


class CallableInvoker:
    """An invoker over plain Python callables keyed by function name (in place of the Lambda runtime)."""

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
