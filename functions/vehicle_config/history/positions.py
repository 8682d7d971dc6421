"""Where a recorded notification sits in the history, and the opaque cursor that names that place.

A position is the moment the history recorded the notification (microseconds since the epoch) and the
notification's eventId, which breaks ties deterministically. Its key `<16-digit micros>#<eventId>` sorts in
position order as a plain string, so it is the sort key of every history read. A cursor is that key and a
short check of it, in base64url: opaque to clients, and an edited or truncated cursor is refused instead
of silently naming another place (the check is not a secret: a cursor grants nothing, it only positions a
read the caller is authorized for anyway). Positions are global: a cursor from one channel (or pattern) is
a valid place to continue from on any other, which lets a client keep one cursor for everything it follows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from vehicle_config.fields import InvalidFields

MICROS_PER_SECOND = 1_000_000
MICROS_DIGITS = 16  # epoch microseconds stay 16 digits until the year 2286
EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
KEY = re.compile(rf"(\d{{{MICROS_DIGITS}}})#({EVENT_ID.pattern})")
# Every character of an eventId sorts after " " and before "~": the bounds below rely on it.
JUST_AFTER = " "
AFTER_ANY_EVENT_ID = "~"
CHECK_SEPARATOR = "~"  # not an eventId character, so the key ends where it starts
CHECK_LENGTH = 6
MAX_CURSOR_LENGTH = 4 * (MICROS_DIGITS + 1 + 128 + 1 + CHECK_LENGTH) // 3 + 4


@dataclass(frozen=True, order=True)
class Position:
    """A notification's place in the history: recorded at `recorded_micros`, ties broken by `event_id`."""

    recorded_micros: int
    event_id: str

    @property
    def key(self) -> str:
        return f"{self.recorded_micros:0{MICROS_DIGITS}d}#{self.event_id}"

    @property
    def cursor(self) -> str:
        text = f"{self.key}{CHECK_SEPARATOR}{_check(self.key)}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def from_key(cls, key: str) -> Position:
        match = KEY.fullmatch(key)
        if match is None:
            raise ValueError(f"{key!r} is not a history position key")
        return cls(int(match.group(1)), match.group(2))


def parse_cursor(field: str, raw: str) -> Position:
    """The position a cursor names; a cursor this service did not hand out is a 400 naming `field`."""
    problem = f"is not a cursor this service handed out; pass an item's `cursor` or a `nextCursor` as {field}"
    if not raw or len(raw) > MAX_CURSOR_LENGTH:
        raise InvalidFields.single(field, problem)
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        key, separator, check = text.rpartition(CHECK_SEPARATOR)
        if not separator or check != _check(key):
            raise ValueError("the check does not match")
        return Position.from_key(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidFields.single(field, problem) from None


def _check(key: str) -> str:
    return hashlib.blake2s(key.encode(), digest_size=CHECK_LENGTH // 2).hexdigest()


@dataclass(frozen=True)
class KeyRange:
    """Position keys from `lower` to `upper`, both inclusive, as a store compares strings."""

    lower: str
    upper: str

    @property
    def empty(self) -> bool:
        return self.lower > self.upper

    def after(self, position: Position) -> KeyRange:
        """The rest of this range past `position` (the next page)."""
        return KeyRange(max(self.lower, position.key + JUST_AFTER), self.upper)


def key_range(after: Position | None, *, since_micros: int, through_micros: int) -> KeyRange:
    """Positions strictly after `after`, recorded no earlier than `since_micros` and no later than
    `through_micros`."""
    lower = f"{since_micros:0{MICROS_DIGITS}d}#"
    if after is not None:
        lower = max(lower, after.key + JUST_AFTER)
    return KeyRange(lower, f"{through_micros:0{MICROS_DIGITS}d}#{AFTER_ANY_EVENT_ID}")
