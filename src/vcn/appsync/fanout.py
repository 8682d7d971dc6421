"""Delivery: bounded per-connection outboxes with their own writer task, and broadcasting to subscriptions.

A publish only appends pre-built frames to the outboxes of the matching subscriptions (no awaiting), so a slow
or dead client never delays the publisher or the other subscribers. A connection whose outbox exceeds its byte
budget is reported through `on_overflow` and disconnected by its owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from vcn.appsync.channels import Channel
from vcn.appsync.protocol import broadcast_error, encode_event
from vcn.appsync.subscriptions import SubscriptionIndex

logger = logging.getLogger("vcn.appsync")

SendFrame = Callable[[bytes], Awaitable[None]]  # writes one UTF-8 text frame


class Outbox:
    """The frames waiting to be written to one connection, bounded in bytes."""

    __slots__ = (
        "_closed",
        "_frames",
        "_limit",
        "_on_overflow",
        "_queued",
        "_send",
        "_wakeup",
        "_writer",
        "name",
    )

    def __init__(
        self, name: str, send: SendFrame, *, limit_bytes: int, on_overflow: Callable[[str], None]
    ) -> None:
        self.name = name
        self._send = send
        self._limit = limit_bytes
        self._on_overflow = on_overflow
        self._frames: deque[bytes] = deque()
        self._queued = 0
        self._wakeup = asyncio.Event()
        self._closed = False
        self._writer: asyncio.Task[None] | None = None

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
        """Queue one encoded text frame; False if the connection is closed or has just overflowed."""
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
            try:
                await self._send(frame)
            except (ConnectionError, RuntimeError) as exc:
                # The peer went away; the connection's reader notices and cleans up.
                logger.debug("write to %s failed: %s", self.name, exc)
                self._closed = True
                return

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) until queued frames are written, e.g. before a clean close."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._frames and not self._closed and asyncio.get_running_loop().time() < deadline:
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
        """Queue each event (JSON string) for each subscription matching `channel`; return frames queued."""
        tails = [encode_event(event) for event in events]
        if not tails:
            return 0
        queued = 0
        for subscription in list(self._index.match(channel)):
            put = subscription.outbox.put
            prefix = subscription.frame_prefix
            for tail in tails:
                if put(prefix + tail):
                    queued += 1
        self.delivered += queued
        return queued

    def broadcast_failure(self, channel: Channel) -> None:
        """Tell every matching subscription that an event could not be processed (`broadcast_error`)."""
        for subscription in list(self._index.match(channel)):
            subscription.outbox.put_text(broadcast_error(subscription.id))
