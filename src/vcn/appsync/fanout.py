"""Delivery: bounded per-connection outboxes, and broadcasting to subscriptions.

A frame goes straight onto the connection's socket when nothing is queued ahead of it and the transport is
not paused (so a broadcast reaches its first subscriber at once, like `websockets.broadcast`); otherwise it
waits in the outbox, which a writer task empties at the pace the client reads. A publish never awaits, so a
slow or dead client never delays the publisher or the other subscribers. A connection whose outbox exceeds
its byte budget is reported through `on_overflow` and disconnected by its owner.

Queued bytes of every outbox also count against one `OutboundBudget` per server: when slow subscribers
together hold more than its cap, the one that has been behind the longest is dropped first, and so on until
the total fits. Frames written straight to a socket never count, so the budget costs nothing while clients
keep up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
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


class OutboundBudget:
    """Bytes queued for slow subscribers across all connections of a server, capped at `limit`.

    Outboxes with frames waiting are kept in the order they fell behind (a dict keeps insertion order); one
    that catches up leaves the order and joins at the end if it falls behind again. Also counts every slow
    subscriber dropped and every frame discarded with it, for the server's metrics.
    """

    __slots__ = (
        "_behind",
        "discarded_frames",
        "dropped_over_connection",
        "dropped_over_total",
        "limit",
        "queued",
    )

    def __init__(self, limit: float = math.inf) -> None:
        if not limit > 0:
            raise ValueError(f"the outbound budget must be a positive number of bytes (got {limit})")
        self.limit = limit
        self.queued = 0
        self._behind: dict[Outbox, float] = {}  # outbox -> monotonic time it fell behind
        self.dropped_over_connection = 0  # a connection over its own queue cap
        self.dropped_over_total = 0  # the oldest slow subscriber, dropped to bring the total under `limit`
        self.discarded_frames = 0  # frames that were waiting for a dropped subscriber

    def fell_behind(self, outbox: Outbox) -> None:
        self._behind[outbox] = time.monotonic()

    def caught_up(self, outbox: Outbox) -> None:
        self._behind.pop(outbox, None)

    def shed(self) -> None:
        """Drop the subscribers behind the longest until the total fits the cap again."""
        while self.queued > self.limit and self._behind:
            outbox, since = next(iter(self._behind.items()))
            reason = (
                f"slow subscribers hold {self.queued} bytes in all, over the server's cap of"
                f" {self.limit:.0f}; this connection has been behind the longest"
                f" ({outbox.queued_bytes} bytes waiting for {time.monotonic() - since:.1f} s)"
            )
            self.dropped_over_total += 1
            outbox.give_up(reason)
            self._behind.pop(outbox, None)  # give_up already removed it; this guarantees the loop ends

    def snapshot(self) -> dict[str, int | None]:
        return {
            "SlowSubscriberQueuedBytes": self.queued,
            "SlowSubscriberQueuedBytesCap": int(self.limit) if math.isfinite(self.limit) else None,
            "SlowSubscribersBehind": len(self._behind),
            "SlowSubscribersDroppedOverConnectionCap": self.dropped_over_connection,
            "SlowSubscribersDroppedOverTotalCap": self.dropped_over_total,
            "FramesDiscardedWithSlowSubscribers": self.discarded_frames,
        }


class Outbox:
    """The frames waiting to be written to one connection, bounded in bytes."""

    __slots__ = (
        "_budget",
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
        self,
        name: str,
        sink: FrameSink,
        *,
        limit_bytes: int,
        on_overflow: Callable[[str], None],
        budget: OutboundBudget | None = None,
    ) -> None:
        self.name = name
        self._budget = budget if budget is not None else OutboundBudget()
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
            self._budget.dropped_over_connection += 1
            self.give_up(
                f"outbound queue over {self._limit} bytes ({len(self._frames)} frames waiting):"
                " the client is not reading fast enough"
            )
            return False
        budget = self._budget
        if not self._frames:
            budget.fell_behind(self)
        self._frames.append(frame)
        self._queued += size
        budget.queued += size
        if budget.queued > budget.limit:
            budget.shed()  # may drop this very outbox, when it has been behind the longest
            if self._closed:
                return False
        self._wakeup.set()
        return True

    def give_up(self, reason: str) -> None:
        """Stop serving this connection: discard what waits and report `reason` through `on_overflow`."""
        if self._closed:
            return
        self._closed = True
        self._budget.discarded_frames += len(self._frames)
        self._discard()
        self._on_overflow(reason)

    def _discard(self) -> None:
        self._frames.clear()
        self._budget.queued -= self._queued
        self._budget.caught_up(self)
        self._queued = 0

    async def _write_forever(self) -> None:
        frames, budget = self._frames, self._budget
        while True:
            if not frames:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            frame = frames.popleft()
            size = len(frame)
            self._queued -= size
            budget.queued -= size
            if not frames:
                budget.caught_up(self)
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
        self._discard()

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) until queued frames are written, e.g. before a clean close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (self._frames or self._sending) and not self._closed and loop.time() < deadline:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._closed = True
        self._discard()
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
