"""The stores the history use cases call out through; `adapters.dynamodb_history` implements both on DynamoDB.

Typed with `typing.Protocol` so the use cases name what they need without an AWS SDK; tests run them against
the real adapter on a local DynamoDB.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from vehicle_config.history.positions import KeyRange, Position
from vehicle_config.history.selectors import ChannelSelector


@dataclass(frozen=True)
class HistoryEntry:
    """One notification as the recorder writes it: where it was published, where it sits, when it expires."""

    channel: str
    position: Position
    notification: str  # the notification's JSON text, as delivered
    expires_at: int  # epoch seconds; the store deletes the entry some time after


@dataclass(frozen=True)
class RecordedNotification:
    """One notification as a read returns it."""

    channel: str
    position: Position
    notification: str


class NotificationHistory(Protocol):
    def record(self, entry: HistoryEntry) -> bool:
        """Store the entry unless this eventId was already recorded on this channel; True if it was stored."""
        ...

    def read(self, selector: ChannelSelector, keys: KeyRange, limit: int) -> list[RecordedNotification]:
        """Up to `limit` notifications of the selected channels within `keys`, in position order."""
        ...

    def positions(self, selector: ChannelSelector, keys: KeyRange, limit: int) -> list[Position]:
        """Like `read`, positions only (what counting needs)."""
        ...


class ReadState(Protocol):
    def read_up_to(self, user_id: str) -> Position | None:
        """The position up to which everything counts as read for the user, if any."""
        ...

    def advance_read_up_to(self, user_id: str, position: Position, expires_at: int) -> Position:
        """Move the user's read position forward to `position` (never back); return where it now is."""
        ...

    def mark_read(self, user_id: str, event_ids: Collection[str], expires_at: int) -> None:
        """Remember that the user has read these notifications (on every channel they were published to)."""
        ...

    def read_among(self, user_id: str, event_ids: Collection[str]) -> frozenset[str]:
        """Those of `event_ids` the user has marked read one by one."""
        ...
