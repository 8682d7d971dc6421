"""What each user has read: a read position ("everything up to here") plus notifications marked one by one.

Both live in the store, per user, so they survive reloads and follow the user across devices. Marking by
eventId marks the notification wherever it was published (its market channel and its user channel alike).
The unread count of a channel or pattern is the number of distinct notifications after the read position
that are not marked read, counted up to `UNREAD_COUNT_CAP` (a badge shows "100+" beyond that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vehicle_config.channels import Grants
from vehicle_config.fields import FieldError, InvalidFields, shown
from vehicle_config.history.ports import NotificationHistory, ReadState
from vehicle_config.history.positions import EVENT_ID, MICROS_PER_SECOND, Position, key_range, parse_cursor
from vehicle_config.history.reading import authorize, retention_floor
from vehicle_config.history.recording import SECONDS_PER_DAY
from vehicle_config.history.selectors import ChannelSelector

MAX_EVENT_IDS = 100
UNREAD_COUNT_CAP = 100
COUNT_PAGE = 100
# A read position ahead of every recorder's clock would mark notifications read before they exist.
FUTURE_TOLERANCE_MICROS = 60 * MICROS_PER_SECOND


@dataclass(frozen=True)
class MarkRead:
    """A `POST /notifications/read` body: eventIds to mark, or a position to read up to."""

    event_ids: tuple[str, ...] = ()
    up_to: Position | None = None


@dataclass(frozen=True)
class UnreadCount:
    channel: str
    unread: int
    capped: bool  # True: at least `unread` (the cap) are unread
    read_up_to: Position | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "unread": self.unread,
            "capped": self.capped,
            "readUpTo": None if self.read_up_to is None else self.read_up_to.cursor,
        }


def parse_mark_read(body: Any, now_micros: int) -> MarkRead:
    if not isinstance(body, dict):
        raise InvalidFields.single(
            "body", 'must be a JSON object: {"eventIds": [...]} or {"upTo": "<cursor>"}'
        )
    unknown = sorted(set(body) - {"eventIds", "upTo"})
    if unknown:
        raise InvalidFields.single(unknown[0], "is not a field of this request; send eventIds or upTo")
    if ("eventIds" in body) == ("upTo" in body):
        raise InvalidFields.single("body", "must hold exactly one of eventIds (a list) or upTo (a cursor)")
    if "upTo" in body:
        raw = body["upTo"]
        position = parse_cursor("upTo", raw if isinstance(raw, str) else "")
        if position.recorded_micros > now_micros + FUTURE_TOLERANCE_MICROS:
            raise InvalidFields.single("upTo", "names a position in the future; pass a cursor you were given")
        return MarkRead(up_to=position)
    return MarkRead(event_ids=_event_ids(body["eventIds"]))


def mark_read(
    grants: Grants, request: MarkRead, state: ReadState, now_micros: int, retention_days: int
) -> dict[str, Any]:
    """Apply the request; answer how many eventIds were marked and where the read position now is."""
    expires_at = now_micros // MICROS_PER_SECOND + retention_days * SECONDS_PER_DAY
    if request.up_to is not None:
        read_up_to: Position | None = state.advance_read_up_to(grants.user_id, request.up_to, expires_at)
    else:
        state.mark_read(grants.user_id, request.event_ids, expires_at)
        read_up_to = state.read_up_to(grants.user_id)
    return {
        "marked": len(request.event_ids),
        "readUpTo": None if read_up_to is None else read_up_to.cursor,
    }


def unread_count(
    grants: Grants,
    selector: ChannelSelector,
    history: NotificationHistory,
    state: ReadState,
    now_micros: int,
    retention_days: int,
) -> UnreadCount:
    authorize(grants, selector)
    read_up_to = state.read_up_to(grants.user_id)
    keys = key_range(
        read_up_to, since_micros=retention_floor(now_micros, retention_days), through_micros=now_micros
    )
    seen: set[str] = set()
    unread = 0
    while not keys.empty:
        found = history.positions(selector, keys, COUNT_PAGE + 1)
        page = found[:COUNT_PAGE]
        new = [p.event_id for p in page if p.event_id not in seen]  # one notification on two channels: one
        seen.update(new)
        unread += len(set(new) - state.read_among(grants.user_id, new)) if new else 0
        if unread > UNREAD_COUNT_CAP:
            return UnreadCount(selector.text, UNREAD_COUNT_CAP, True, read_up_to)
        if len(found) <= COUNT_PAGE:
            break
        keys = keys.after(page[-1])
    return UnreadCount(selector.text, unread, False, read_up_to)


def _event_ids(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_EVENT_IDS:
        raise InvalidFields.single("eventIds", f"must be a list of 1 to {MAX_EVENT_IDS} eventIds")
    bad = [
        FieldError(f"eventIds[{i}]", f"is not an eventId, got {shown(value)}")
        for i, value in enumerate(raw)
        if not isinstance(value, str) or EVENT_ID.fullmatch(value) is None
    ]
    if bad:
        raise InvalidFields(bad)
    return tuple(dict.fromkeys(raw))
