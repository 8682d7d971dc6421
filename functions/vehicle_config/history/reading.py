"""Reading the history: a page of the notifications a user may see on a channel or below a prefix.

Authorization is the subscribe guard's own decision (`channels.may_subscribe`): what a user may subscribe to
live is exactly what they may read after the fact. A page is oldest first, strictly after the cursor given,
and holds only settled positions (recorded at least `SETTLE_MICROS` ago): a position is taken just before the
write that makes it visible, so a recent one may still be in flight, and a cursor handed out past it would
skip it for good. Waiting out the settle time is what lets a client resume from any cursor without gaps.

A read may also start at a moment rather than a cursor: `sinceSeconds` counts back from the service's own
clock, so a client whose clock is off still gets exactly "the last ten minutes" (and a client that has no
cursor yet, because nothing was recorded, can say "since I last looked" without trusting its clock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vehicle_config.channels import Grants, may_subscribe
from vehicle_config.fields import FieldError, InvalidFields, shown
from vehicle_config.history.ports import NotificationHistory, RecordedNotification
from vehicle_config.history.positions import MICROS_PER_SECOND, Position, key_range, parse_cursor
from vehicle_config.history.recording import SECONDS_PER_DAY
from vehicle_config.history.selectors import ChannelSelector, parse_selector

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_SINCE_SECONDS = 999_999_999  # about 31 years: the retention, not this, bounds a read in practice
# Covers one write's latency and the propagation of the prefix indexes (typically well under a second).
SETTLE_MICROS = 2 * MICROS_PER_SECOND


class ChannelForbidden(Exception):
    """The caller may not subscribe to the channel, so may not read its history either."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        super().__init__(f"You may not read {channel}: your token does not grant it")


@dataclass(frozen=True)
class HistoryQuery:
    selector: ChannelSelector
    after: Position | None
    limit: int
    since_seconds: int | None = None  # only positions recorded within this many seconds of now


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "nextCursor": self.next_cursor}


def parse_query(
    channel: str | None, after: str | None, limit: str | None, since_seconds: str | None = None
) -> HistoryQuery:
    """The query parameters, every problem reported at once as a 400 naming each bad parameter."""
    errors: list[FieldError] = []
    selector = _collect(errors, lambda: parse_selector("channel", channel))
    position = _collect(errors, lambda: None if after is None else parse_cursor("after", after))
    size = _collect(errors, lambda: parse_limit(limit))
    since = _collect(errors, lambda: parse_since_seconds(since_seconds))
    if errors:
        raise InvalidFields(errors)
    assert selector is not None and size is not None
    return HistoryQuery(selector, position, size, since)


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidFields.single("limit", f"must be a whole number from 1 to {MAX_LIMIT}, got {shown(raw)}")
    return int(raw)


def parse_since_seconds(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_SINCE_SECONDS:
        raise InvalidFields.single(
            "sinceSeconds",
            f"must be a whole number of seconds from 1 to {MAX_SINCE_SECONDS}, got {shown(raw)}",
        )
    return int(raw)


def authorize(grants: Grants, selector: ChannelSelector) -> None:
    if not may_subscribe(grants, selector.text):
        raise ChannelForbidden(selector.text)


def read_page(
    grants: Grants, query: HistoryQuery, history: NotificationHistory, now_micros: int, retention_days: int
) -> Page:
    authorize(grants, query.selector)
    since = retention_floor(now_micros, retention_days)
    if query.since_seconds is not None:
        since = max(since, now_micros - query.since_seconds * MICROS_PER_SECOND)
    keys = key_range(query.after, since_micros=since, through_micros=now_micros - SETTLE_MICROS)
    if keys.empty:
        return Page([], None)
    found = history.read(query.selector, keys, query.limit + 1)  # one more tells whether a next page exists
    page = found[: query.limit]
    next_cursor = page[-1].position.cursor if len(found) > query.limit else None
    return Page([as_delivered(item) for item in page], next_cursor)


def as_delivered(item: RecordedNotification) -> dict[str, Any]:
    """The notification with every field it was delivered with, plus where it came from and its cursor."""
    return {**json.loads(item.notification), "channel": item.channel, "cursor": item.position.cursor}


def retention_floor(now_micros: int, retention_days: int) -> int:
    """Positions older than this have expired, even while the store has not deleted them yet."""
    return now_micros - retention_days * SECONDS_PER_DAY * MICROS_PER_SECOND


def _collect(errors: list[FieldError], parse: Any) -> Any:
    try:
        return parse()
    except InvalidFields as invalid:
        errors.extend(invalid.errors)
        return None
