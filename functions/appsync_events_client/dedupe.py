"""Dropping events a subscriber has already received, by a key each event carries (e.g. its `eventId`).

Delivery is at least once end to end: EventBridge retries, a dead-letter redrive or an archive replay can
publish an event again, and one event may reach a client on two channels. A subscription with a key hands
each key over once and counts what it dropped. It remembers the last `memory` keys (a replay of something
older than that shows again).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# A field name (the event must be a JSON object holding it), or a function from the event to its key;
# an event without a key is always handed over.
DedupeKey = str | Callable[[Any], Hashable | None]

DEFAULT_MEMORY = 10_000


class Deduplicator:
    def __init__(self, key: DedupeKey, memory: int = DEFAULT_MEMORY) -> None:
        if memory < 1:
            raise ValueError("a deduplicator must remember at least one key")
        self._key = _field(key) if isinstance(key, str) else key
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self.memory = memory
        self.dropped = 0

    def first_time(self, event: Any) -> bool:
        """True the first time an event's key shows up (or when it has none); False for a repeat."""
        key = self._key(event)
        if key is None:
            return True
        if key in self._seen:
            self._seen.move_to_end(key)
            self.dropped += 1
            return False
        self._seen[key] = None
        if len(self._seen) > self.memory:
            self._seen.popitem(last=False)
        return True


def _field(name: str) -> Callable[[Any], Hashable | None]:
    def key(event: Any) -> Hashable | None:
        value = event.get(name) if isinstance(event, dict) else None
        return value if isinstance(value, str | int) else None

    return key
