"""Delivery: bounded per-connection outboxes, and broadcasting to subscriptions.

A frame goes straight onto the connection's socket when nothing is queued ahead of it and the transport is
not paused (so a broadcast reaches its first subscriber at once, like `websockets.broadcast`); otherwise it
waits in the outbox, which a writer task empties at the pace the client reads. A publish never awaits, so a
slow or dead client never delays the publisher or the other subscribers. A connection whose outbox exceeds
its byte budget is reported through `on_overflow` and disconnected by its owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from vcn.appsync.channels import Channel
from vcn.appsync.protocol import broadcast_error, encode_event
from vcn.appsync.subscriptions import SubscriptionIndex

logger = logging.getLogger("vcn.appsync")


class FrameSink(Protocol):
    """Where an outbox writes UTF-8 text frames: one WebSocket connection's transport."""

    def ready(self) -> bool:
        """True when a frame can be written now without waiting: open, and its transport not paused."""
        ...

    def write(self, frames: Sequence[bytes]) -> None:
        """Write text frames, in order, without waiting (only called when `ready()`)."""
        ...

    async def send(self, frame: bytes) -> None:
        """Write one text frame, waiting while the transport is paused."""
        ...


class Outbox:
    """The frames waiting to be written to one connection, bounded in bytes."""

    __slots__ = (
        "_closed",
        "_frames",
        "_limit",
        "_on_overflow",
        "_queued",
        "_sending",
        "_sink",
        "_wakeup",
        "_writer",
        "direct_writes",
        "name",
        "queued_writes",
    )

    def __init__(
        self, name: str, sink: FrameSink, *, limit_bytes: int, on_overflow: Callable[[str], None]
    ) -> None:
        self.name = name
        self._sink = sink
        self._limit = limit_bytes
        self._on_overflow = on_overflow
        self._frames: deque[bytes] = deque()
        self._queued = 0
        self._wakeup = asyncio.Event()
        self._closed = False
        self._writer: asyncio.Task[None] | None = None
        self._sending = False  # the writer task holds a frame it has not finished sending
        self.direct_writes = 0  # frames written by `put` itself
        self.queued_writes = 0  # frames written by the writer task after waiting in the queue

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(
            self._write_forever(), name=f"outbox-{self.name}"
        )

    @property
    def queued_bytes(self) -> int:
        return self._queued

    @property
    def closed(self) -> bool:
        return self._closed

    def put_text(self, frame: str) -> bool:
        return self.put(frame.encode())

    def put(self, frame: bytes) -> bool:
        """Write or queue one encoded text frame; False if the connection is closed or has just overflowed."""
        if self._closed:
            return False
        # Nothing ahead of this frame and room in the socket buffer: skip the queue (and a task switch).
        if not self._frames and not self._sending and self._sink.ready():
            return self._write_now((frame,)) == 1
        return self._enqueue(frame)

    def put_all(self, frames: Sequence[bytes]) -> int:
        """`put` for several frames, written in one go when possible; the number written or queued."""
        if self._closed:
            return 0
        if not self._frames and not self._sending and self._sink.ready():
            return self._write_now(frames)
        queued = 0
        for frame in frames:
            if not self._enqueue(frame):
                break
            queued += 1
        return queued

    def _write_now(self, frames: Sequence[bytes]) -> int:
        try:
            self._sink.write(frames)
        except (ConnectionError, RuntimeError) as exc:
            self._lost(exc)
            return 0
        self.direct_writes += len(frames)
        return len(frames)

    def _enqueue(self, frame: bytes) -> bool:
        if self._closed:
            return False
        size = len(frame)
        if self._queued + size > self._limit and self._frames:
            self._closed = True
            reason = (
                f"outbound queue over {self._limit} bytes ({len(self._frames)} frames waiting):"
                " the client is not reading fast enough"
            )
            self._frames.clear()
            self._queued = 0
            self._on_overflow(reason)
            return False
        self._frames.append(frame)
        self._queued += size
        self._wakeup.set()
        return True

    async def _write_forever(self) -> None:
        frames = self._frames
        while True:
            if not frames:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            frame = frames.popleft()
            self._queued -= len(frame)
            self._sending = True
            try:
                await self._sink.send(frame)
            except (ConnectionError, RuntimeError) as exc:
                self._lost(exc)
                return
            finally:
                self._sending = False
            self.queued_writes += 1

    def _lost(self, exc: Exception) -> None:
        # The peer went away; the connection's reader notices and cleans up.
        logger.debug("write to %s failed: %s", self.name, exc)
        self._closed = True
        self._frames.clear()
        self._queued = 0

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) until queued frames are written, e.g. before a clean close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (self._frames or self._sending) and not self._closed and loop.time() < deadline:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._closed = True
        self._frames.clear()
        self._queued = 0
        if self._writer is not None:
            self._writer.cancel()
            # The writer's outcome no longer matters once the connection is gone.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
            self._writer = None


class FanOut:
    """Broadcasts published events to every matching subscription, one `data` frame per event."""

    def __init__(self, index: SubscriptionIndex) -> None:
        self._index = index
        self.delivered = 0

    def broadcast(self, channel: Channel, events: Iterable[str]) -> int:
        """Send each event (JSON string) to each subscription matching `channel`; return frames written or
        queued."""
        tails = [encode_event(event) for event in events]
        if not tails:
            return 0
        queued = 0
        if len(tails) == 1:
            tail = tails[0]
            for subscription in list(self._index.match(channel)):
                queued += subscription.outbox.put(subscription.frame_prefix + tail)
        else:
            # One write per subscription for all of a publish's events (still one `data` frame each).
            for subscription in list(self._index.match(channel)):
                prefix = subscription.frame_prefix
                queued += subscription.outbox.put_all([prefix + tail for tail in tails])
        self.delivered += queued
        return queued

    def broadcast_failure(self, channel: Channel) -> None:
        """Tell every matching subscription that an event could not be processed (`broadcast_error`)."""
        for subscription in list(self._index.match(channel)):
            subscription.outbox.put_text(broadcast_error(subscription.id))
