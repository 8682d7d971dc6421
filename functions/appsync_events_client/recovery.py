"""Recovery: a subscription that also delivers what was published while it was not connected.

    history = HttpHistorySource(api_url, token)
    events = await subscribe_with_recovery(connection, "/orders/eu/*", history, Since.parse("10m"))
    async for event in events:   # history since the start, then live, across reconnects
        ...

On every (re)subscribe it subscribes first, then reads the history after the last cursor it saw until the
source has no more, and merges by `eventId`: an event seen live and again in the history is delivered once.
Live events received meanwhile wait, so everything comes out in order: the missed events oldest first, then
live ones. A history page only holds settled positions (recorded a couple of seconds ago), so once the
settle delay has passed since the subscription took effect it reads once more: that closes the window in
which an event was neither delivered live (published before the subscription) nor settled yet.

Where it starts (`Since`): after a cursor, the last N seconds (counted on the service's clock), everything
the history keeps, or now (no old events, so live events flow at once; it still recovers what a reconnect
misses). Without a cursor yet (starting now, or nothing recorded), a resume reads back to when it subscribed
or found the history empty, measured on this machine's monotonic clock, so it never depends on the two
clocks agreeing.

Memory stays bounded. An event delivered live is remembered until the history confirms it (the cursor moves
past it); every `remember // 4` live events it reads the history once (a checkpoint), so the cursor keeps up
and a gap never reaches back past what it remembers. Confirmed eventIds are kept for the last `remember`,
enough to drop the live copy of an event that the history delivered first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .connection import EventsConnection, ReconnectPolicy
from .dedupe import DedupeKey
from .delivery import DeliveryQueue, EventStream
from .history import MAX_PAGE, MAX_SINCE_SECONDS, HistoryError, HistoryQuery, HistorySource
from .subscription import Resubscribed, Subscription

log = logging.getLogger(__name__)

SETTLE_SECONDS = 2.0  # the history serves positions recorded at least this long ago
RECORDING_ALLOWANCE = 1.0  # the recorder writes shortly after delivery (asynchronously)
DEFAULT_SETTLE_DELAY = SETTLE_SECONDS + RECORDING_ALLOWANCE
CLOCK_MARGIN = 1.0  # a request's time on this machine vs the service's: round trips, rounding to seconds
DEFAULT_REMEMBER = 10_000
DEFAULT_HISTORY_RETRY = ReconnectPolicy(initial_delay=0.5, max_delay=8.0, max_attempts=5)
_DURATION = re.compile(r"(\d+)\s*([smhd])", re.IGNORECASE)
_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Since:
    """Where a recovering subscription starts: `now()`, `everything()`, `last(seconds)` or `after(cursor)`."""

    kind: Literal["now", "everything", "last", "after"]
    seconds: int | None = None
    cursor: str | None = None

    @classmethod
    def now(cls) -> Since:
        return cls("now")

    @classmethod
    def everything(cls) -> Since:
        return cls("everything")

    @classmethod
    def last(cls, seconds: int) -> Since:
        if seconds < 1:
            raise ValueError(f"a duration must be at least one second, got {seconds}")
        if seconds > MAX_SINCE_SECONDS:
            raise ValueError(
                f"a duration must be at most {MAX_SINCE_SECONDS} seconds (about 31 years), got {seconds}"
            )
        return cls("last", seconds=seconds)

    @classmethod
    def after(cls, cursor: str) -> Since:
        if not cursor:
            raise ValueError("a cursor must not be empty")
        return cls("after", cursor=cursor)

    @classmethod
    def parse(cls, text: str) -> Since:
        """`now`, `all`, a duration (`90s`, `10m`, `2h`, `1d`, or combined: `1h30m`), or a cursor."""
        value = text.strip()
        if value.lower() == "now":
            return cls.now()
        if value.lower() == "all":
            return cls.everything()
        if value and _DURATION.sub("", value).strip() == "":
            return cls.last(sum(int(n) * _SECONDS_PER_UNIT[u.lower()] for n, u in _DURATION.findall(value)))
        if not value or len(value) < 16 or value[0].isdigit():
            raise ValueError(
                f"{text!r} is not a start: pass now, all, a duration such as 10m, 2h or 1d, or a cursor"
            )
        return cls.after(value)


@dataclass(frozen=True)
class RecoveryReport:
    """One recovery: after the first subscribe (`reason` "subscribe") or a reconnect ("reconnect")."""

    reason: Literal["subscribe", "reconnect"]
    recovered: int  # events delivered from the history (not seen live)
    pages: int
    seconds: float  # from the re-subscription to the end of the settle read


class RecoveringSubscription(EventStream):
    """History after the start, then live events, merged by eventId, across reconnects (an async iterator).

    History items carry `channel` and `cursor` besides the event's own fields; live events are as received.
    Ends when the subscription ends; raises the subscription's error, or a `HistoryError` the source kept
    answering after `history_retry`'s attempts (a 4xx other than 429 is raised at once).
    """

    def __init__(
        self,
        subscription: Subscription,
        history: HistorySource,
        since: Since,
        *,
        subscribed_at: float,
        settle_delay: float = DEFAULT_SETTLE_DELAY,
        page_size: int = MAX_PAGE,
        remember: int = DEFAULT_REMEMBER,
        history_retry: ReconnectPolicy = DEFAULT_HISTORY_RETRY,
        on_recovery: Callable[[RecoveryReport], None] | None = None,
    ) -> None:
        self.subscription = subscription
        self.channel = subscription.channel
        self._history = history
        self._since = since
        self._subscribed_at = subscribed_at
        self._settle_delay = settle_delay
        self._page_size = page_size
        self._remember = max(2, remember)
        self._retry = history_retry
        self._on_recovery = on_recovery
        self._unconfirmed: OrderedDict[str, None] = OrderedDict()  # delivered live, not in the history yet
        self._confirmed: OrderedDict[str, None] = OrderedDict()  # read from the history (at or before cursor)
        self._out = DeliveryQueue()
        self._pump: asyncio.Task[None] | None = None
        self._live_since_checkpoint = 0
        self._last_live_at: float | None = None  # monotonic time of the last event delivered live
        self._covered_at: float | None = subscribed_at if since.kind == "now" else None
        self.cursor: str | None = since.cursor  # the last cursor seen: where a later read resumes
        self.recovered = 0  # events delivered from the history
        self.live = 0  # events delivered live
        self.duplicates = 0  # events dropped because their eventId was already delivered
        self.reports: list[RecoveryReport] = []

    def start(self) -> None:
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._run())

    # -- the consumer's side -------------------------------------------------------------------------------
    async def __anext__(self) -> Any:
        return await self._out.next()

    async def resume_cursor(self, timeout: float = 3.0) -> str | None:
        """Where a later subscription resumes without repeating what this one delivered: `cursor`, moved on
        past the history's next items for as long as they are events already delivered (a live event is
        recorded after it arrives, and a page shows it only once settled: this waits out the settle delay
        after the last live event). One attempt within `timeout` plus that wait; on failure, `cursor`.
        Without a cursor yet (started `now`), what the history holds before the first event it delivered was
        published before it subscribed: passed over, not a gap."""
        cursor = self.cursor
        before_first = cursor is None
        wait = (
            0.0 if self._last_live_at is None else self._last_live_at + self._settle_delay - time.monotonic()
        )
        try:
            async with asyncio.timeout(max(0.0, wait) + timeout):
                if wait > 0:
                    await asyncio.sleep(wait)
                query = self._resume_query()
                while True:
                    page = await self._history.read(query)
                    for item in page.items:
                        event_id = _event_id(item)
                        if event_id is None or (
                            event_id not in self._unconfirmed and event_id not in self._confirmed
                        ):
                            if before_first:
                                continue
                            return cursor
                        before_first = False
                        cursor = item["cursor"]
                    if page.next_cursor is None:
                        return cursor
                    query = HistoryQuery(self.channel, after=page.next_cursor, limit=self._page_size)
        except (HistoryError, TimeoutError):
            return cursor

    async def unsubscribe(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        await self.subscription.unsubscribe()
        self._out.end()

    # -- the pump: subscription and history in, merged events out ------------------------------------------
    async def _run(self) -> None:
        try:
            if self._since.kind != "now":
                await self._recover(self._subscribed_at, "subscribe")
            while True:
                item = await self.subscription.next_delivery()
                if isinstance(item, Resubscribed):
                    await self._recover(item.at, "reconnect")
                    continue
                self._accept_live(item)
                if self._live_since_checkpoint >= max(1, self._remember // 4):
                    await self._drain(self._resume_query())
        except StopAsyncIteration:
            self._out.end()
        except asyncio.CancelledError:
            self._out.end()
            raise
        except Exception as exc:
            log.warning("recovering subscription to %s ends: %s", self.channel, exc)
            self._out.end(exc)
            with contextlib.suppress(Exception):
                await self.subscription.unsubscribe()

    async def _recover(self, subscribed_at: float, reason: Literal["subscribe", "reconnect"]) -> None:
        first = self._first_query() if reason == "subscribe" else self._resume_query()
        recovered, pages = await self._drain(first)
        wait = subscribed_at + self._settle_delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        settled, more_pages = await self._drain(self._resume_query())
        report = RecoveryReport(
            reason, recovered + settled, pages + more_pages, time.monotonic() - subscribed_at
        )
        self.reports.append(report)
        log.info("recovered %d events on %s after %s", report.recovered, self.channel, reason)
        if self._on_recovery is not None:
            self._on_recovery(report)

    def _first_query(self) -> HistoryQuery:
        since = self._since
        if since.kind == "last":
            return HistoryQuery(self.channel, since_seconds=since.seconds, limit=self._page_size)
        return HistoryQuery(self.channel, after=since.cursor, limit=self._page_size)

    def _resume_query(self) -> HistoryQuery:
        if self.cursor is not None:
            return HistoryQuery(self.channel, after=self.cursor, limit=self._page_size)
        if self._covered_at is not None:
            seconds = math.ceil(time.monotonic() - self._covered_at + CLOCK_MARGIN)
            return HistoryQuery(self.channel, since_seconds=max(1, seconds), limit=self._page_size)
        return HistoryQuery(self.channel, limit=self._page_size)

    async def _drain(self, query: HistoryQuery) -> tuple[int, int]:
        """Read pages from `query` until the source has no more; deliver what was not seen yet."""
        started = time.monotonic()
        delivered = pages = 0
        while True:
            page = await self._read(query)
            pages += 1
            for item in page.items:
                self.cursor = item["cursor"]
                if self._confirm(item):
                    continue
                self.recovered += 1
                delivered += 1
                self._out.put(item)
            if page.next_cursor is None:
                break
            query = HistoryQuery(self.channel, after=page.next_cursor, limit=self._page_size)
        if self.cursor is None:  # nothing recorded yet: remember how far the empty history reached
            covered = started - SETTLE_SECONDS
            self._covered_at = covered if self._covered_at is None else max(self._covered_at, covered)
        self._live_since_checkpoint = 0
        return delivered, pages

    async def _read(self, query: HistoryQuery) -> Any:
        attempt = 0
        while True:
            try:
                return await self._history.read(query)
            except HistoryError as exc:
                attempt += 1
                exhausted = self._retry.max_attempts is not None and attempt >= self._retry.max_attempts
                if not exc.transient or exhausted:
                    raise
                delay = self._retry.delay(attempt - 1)
                log.warning("history of %s unavailable (%s); retrying in %.1f s", self.channel, exc, delay)
                await asyncio.sleep(delay)

    def _accept_live(self, event: Any) -> None:
        event_id = _event_id(event)
        if event_id is not None:
            if event_id in self._unconfirmed or event_id in self._confirmed:
                self.duplicates += 1
                return
            self._unconfirmed[event_id] = None
            if len(self._unconfirmed) > self._remember:
                # the history has not confirmed this many: a later read may repeat the oldest of them
                forgotten, _ = self._unconfirmed.popitem(last=False)
                log.warning("%s: forgetting unconfirmed event %s (history behind)", self.channel, forgotten)
        self.live += 1
        self._live_since_checkpoint += 1
        self._last_live_at = time.monotonic()
        self._out.put(event)

    def _confirm(self, item: dict[str, Any]) -> bool:
        """Note a history item; True if its event was delivered already (live, or read before)."""
        event_id = _event_id(item)
        if event_id is None:
            return False  # nothing to merge by: delivered as it comes
        delivered = event_id in self._confirmed
        if event_id in self._unconfirmed:
            del self._unconfirmed[event_id]
            delivered = True
        self._confirmed[event_id] = None
        if len(self._confirmed) > self._remember:
            self._confirmed.popitem(last=False)
        if delivered:
            self.duplicates += 1
        return delivered


def _event_id(event: Any) -> str | None:
    event_id = event.get("eventId") if isinstance(event, dict) else None
    return event_id if isinstance(event_id, str) else None


async def subscribe_with_recovery(
    connection: EventsConnection,
    channel: str,
    history: HistorySource,
    since: Since | None = None,
    *,
    dedupe_by: DedupeKey | None = None,
    **options: Any,
) -> RecoveringSubscription:
    """Subscribe to `channel`, then deliver its history from `since` (default: now), then live events.

    `dedupe_by` is the subscription's own (see `EventsConnection.subscribe`); the merge with the history is
    by eventId regardless. `options` are `RecoveringSubscription`'s (settle_delay, page_size, remember,
    history_retry, on_recovery).
    """
    subscription = await connection.subscribe(channel, dedupe_by=dedupe_by)
    recovering = RecoveringSubscription(
        subscription, history, since or Since.now(), subscribed_at=time.monotonic(), **options
    )
    recovering.start()
    return recovering
