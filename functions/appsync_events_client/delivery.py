"""How a subscription hands events to its reader: a queue that ends once, and the reader's side over it.

`DeliveryQueue` holds what arrived and was not read yet; once ended (cleanly or with an error) a read gets
what was queued before the end, then `StopAsyncIteration` or the error, and every later read ends the same
way. `EventStream` is what a reader uses on a plain or a recovering subscription alike: `async for`,
`get(timeout)`, and `async with`, which unsubscribes at the end of the block.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, Self

_END = object()


class DeliveryQueue:
    """Items in arrival order until `end()`; the owner stops putting once it has ended the queue."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._error: BaseException | None = None
        self.ended = False

    def put(self, item: Any) -> None:
        self._queue.put_nowait(item)

    def end(self, error: BaseException | None = None) -> None:
        """No more items: reads drain what is queued, then end (raising `error` if there is one)."""
        if self.ended:
            return
        self.ended = True
        self._error = error
        self._queue.put_nowait(_END)

    async def next(self) -> Any:
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # every later read ends the same way
            if self._error is not None:
                raise self._error
            raise StopAsyncIteration
        return item

    @property
    def pending(self) -> int:
        """Items put and not read yet; once ended, the end counts as one."""
        return self._queue.qsize()


class EventStream(ABC):
    """The reader's side of a subscription: `async for event in it`, `get(timeout)`, `async with it`."""

    def __aiter__(self) -> Self:
        return self

    @abstractmethod
    async def __anext__(self) -> Any: ...

    async def get(self, timeout: float | None = None) -> Any:
        """The next event; raises `TimeoutError` after `timeout` seconds, `StopAsyncIteration` at the end."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    @abstractmethod
    async def unsubscribe(self) -> None:
        """Stop the subscription; the iterator ends after the events already received."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.unsubscribe()
