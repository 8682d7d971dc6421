"""A subscription to one channel (or `/*` wildcard): an async iterator of the events published to it.

Events are parsed from the `data` frame's JSON string. The stream survives reconnects (the connection
re-subscribes it under the same id); it ends cleanly after `unsubscribe()` or a clean close, and raises
the error when the subscription is lost for good (denied on re-subscribe, reconnect attempts exhausted).
With a dedupe key (`subscribe(channel, dedupe_by="eventId")`) an event whose key was seen already is dropped
and counted in `duplicates`.

Events published while the connection was down are not delivered (AppSync Events does not replay). The
stream records where each re-subscription happened, in order among the events (`next_delivery()` returns a
`Resubscribed` marker there), so a recovering reader (`recovery.RecoveringSubscription`) knows exactly which
events came before the gap and which after it.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .dedupe import DedupeKey, Deduplicator
from .delivery import DeliveryQueue, EventStream

log = logging.getLogger("appsync_events_client")


@dataclass(frozen=True)
class Resubscribed:
    """The service confirmed a re-subscription after a reconnect: events after this marker are live again.

    `at` is the `time.monotonic()` of the confirmation.
    """

    at: float


class SubscriptionState(enum.Enum):
    PENDING = "pending"  # subscribe sent, no answer yet
    ACTIVE = "active"  # the service confirmed it; re-subscribed after every reconnect
    CLOSED = "closed"  # unsubscribed, denied or the connection ended


class Subscription(EventStream):
    """Events on `channel`: `async for event in sub`, then `await sub.unsubscribe()` (or `async with sub`)."""

    def __init__(
        self,
        subscription_id: str,
        channel: str,
        unsubscribe: Callable[[Subscription], Awaitable[None]],
        dedupe_by: DedupeKey | None = None,
    ):
        self.id = subscription_id
        self.channel = channel
        self.state = SubscriptionState.PENDING
        self._unsubscribe = unsubscribe
        self._dedupe = Deduplicator(dedupe_by) if dedupe_by is not None else None
        self._deliveries = DeliveryQueue()
        self.resubscribes = 0  # re-subscriptions after reconnects
        self.resubscribed_at: float | None = None  # time.monotonic() of the last one

    def __repr__(self) -> str:
        return f"Subscription(id={self.id!r}, channel={self.channel!r}, state={self.state.value})"

    async def __anext__(self) -> Any:
        while True:
            item = await self.next_delivery()
            if not isinstance(item, Resubscribed):
                return item

    async def next_delivery(self) -> Any:
        """The next event, or a `Resubscribed` marker where the stream resumed after a reconnect."""
        return await self._deliveries.next()

    @property
    def duplicates(self) -> int:
        """Events dropped because their dedupe key was seen already."""
        return self._dedupe.dropped if self._dedupe is not None else 0

    @property
    def pending_events(self) -> int:
        """Events received but not yet consumed."""
        return self._deliveries.pending

    async def unsubscribe(self) -> None:
        """Stop the subscription at the service; the iterator ends after the events already received."""
        if self.state is not SubscriptionState.CLOSED:
            await self._unsubscribe(self)

    # -- called by the connection --------------------------------------------------------------------------
    def _deliver(self, event: Any) -> None:
        if self.state is SubscriptionState.CLOSED:
            return
        if isinstance(event, str):
            # not JSON after all: hand over the raw string rather than drop it
            with contextlib.suppress(ValueError):
                event = json.loads(event)
        if self._dedupe is not None and not self._dedupe.first_time(event):
            log.debug("%s: dropped a duplicate event (%d so far)", self.channel, self._dedupe.dropped)
            return
        self._deliveries.put(event)

    def _resubscribed(self) -> None:
        """Called as the re-subscribe confirmation is read, before any later `data` frame is dispatched."""
        if self.state is SubscriptionState.CLOSED:
            return
        self.resubscribes += 1
        self.resubscribed_at = time.monotonic()
        self._deliveries.put(Resubscribed(self.resubscribed_at))

    def _finish(self, error: BaseException | None = None) -> None:
        if self.state is SubscriptionState.CLOSED:
            return
        self.state = SubscriptionState.CLOSED
        self._deliveries.end(error)
