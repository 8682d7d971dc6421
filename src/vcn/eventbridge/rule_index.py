"""Which rules of a bus match an event, without evaluating every rule's pattern per event.

Each rule is filed under the (at most two) fields that every alternative of its pattern pins to exact
strings, preferring `detail-type` and `source`: a rule pinning `source: ["orders"]` and
`detail-type: ["Placed"]` lives in bucket `("detail-type", "source") -> ("Placed", "orders")`. An event
looks up its own values in each bucket family, and only those candidates plus the rules that pin nothing
are evaluated in full. The index only narrows; the full pattern always decides. Results keep insertion order.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vcn.eventbridge.pattern_flatten import FlatEvent, flatten_event
from vcn.eventbridge.patterns import EventPattern

Shape = tuple[str, ...]
BucketKey = tuple[str, ...]

_PREFERRED_FIELDS = ("detail-type", "source")


@dataclass
class _Entry:
    pattern: EventPattern
    order: int
    shape: Shape | None
    bucket_keys: tuple[BucketKey, ...]


class RuleIndex:
    """Compiled patterns by rule key; `match(event)` gives the matching keys in insertion order."""

    def __init__(self, *, max_index_fields: int = 2, max_bucket_keys_per_rule: int = 256) -> None:
        self._max_index_fields = max_index_fields
        self._max_bucket_keys = max_bucket_keys_per_rule
        self._entries: dict[str, _Entry] = {}
        self._buckets: dict[Shape, dict[BucketKey, set[str]]] = {}
        self._unindexed: dict[str, None] = {}
        self._next_order = 0
        self._prefix_counts: Counter[str] = Counter()
        self._wanted: frozenset[str] | None = frozenset()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def get(self, key: str) -> EventPattern | None:
        entry = self._entries.get(key)
        return entry.pattern if entry is not None else None

    @property
    def unindexed_count(self) -> int:
        """How many rules are evaluated for every event because their patterns pin no exact field."""
        return len(self._unindexed)

    def add(self, key: str, pattern: EventPattern) -> None:
        """File a rule's pattern; adding an existing key replaces its pattern and keeps its position."""
        previous = self._entries.get(key)
        if previous is not None:
            self._unfile(key, previous)
            order = previous.order
        else:
            order = self._next_order
            self._next_order += 1
        shape, bucket_keys = self._placement(pattern)
        entry = _Entry(pattern, order, shape, bucket_keys)
        self._entries[key] = entry
        self._prefix_counts.update(pattern.path_prefixes)
        self._wanted = None
        if shape is None:
            self._unindexed[key] = None
        else:
            buckets = self._buckets.setdefault(shape, {})
            for bucket_key in bucket_keys:
                buckets.setdefault(bucket_key, set()).add(key)

    def remove(self, key: str) -> None:
        """Forget a rule; removing an unknown key does nothing."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._unfile(key, entry)

    def match(self, event: Mapping[str, Any]) -> list[str]:
        """Keys of the rules whose patterns match the event, in the order they were first added."""
        if self._wanted is None:
            self._wanted = frozenset(path for path, count in self._prefix_counts.items() if count > 0)
        flat = flatten_event(event, self._wanted)
        candidates = self._candidates(flat)
        entries = self._entries
        matched = [key for key in candidates if entries[key].pattern.matches_flat(flat)]
        if len(matched) > 1:
            matched.sort(key=lambda key: entries[key].order)
        return matched

    def _candidates(self, flat: FlatEvent) -> list[str]:
        candidates: list[str] = list(self._unindexed)
        seen: set[str] | None = None
        for shape, buckets in self._buckets.items():
            per_field: list[list[str]] = []
            for path in shape:
                leaves = flat.get(path)
                strings = [value for value, _ in leaves if type(value) is str] if leaves else []
                if not strings:
                    break
                per_field.append(strings)
            else:
                for bucket_key in itertools.product(*per_field):
                    keys = buckets.get(bucket_key)
                    if keys:
                        if seen is None:
                            seen = set(candidates)
                        for key in keys:
                            if key not in seen:
                                seen.add(key)
                                candidates.append(key)
        return candidates

    def _unfile(self, key: str, entry: _Entry) -> None:
        self._prefix_counts.subtract(entry.pattern.path_prefixes)
        self._wanted = None
        if entry.shape is None:
            self._unindexed.pop(key, None)
            return
        buckets = self._buckets[entry.shape]
        for bucket_key in entry.bucket_keys:
            keys = buckets.get(bucket_key)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del buckets[bucket_key]
        if not buckets:
            del self._buckets[entry.shape]

    def _placement(self, pattern: EventPattern) -> tuple[Shape | None, tuple[BucketKey, ...]]:
        """The fields to file a pattern under and its bucket keys, or (None, ()) when it cannot be indexed."""
        pins = pattern.exact_string_pins()
        common = set(pins[0]).intersection(*pins[1:]) if pins else set()
        if not common:
            return None, ()
        ranked = sorted(common, key=lambda path: _rank(path, pins))
        for width in range(min(self._max_index_fields, len(ranked)), 0, -1):
            shape = tuple(sorted(ranked[:width]))
            keys: dict[BucketKey, None] = {}
            for pinned in pins:
                for combination in itertools.product(*(sorted(pinned[path]) for path in shape)):
                    keys[combination] = None
                if len(keys) > self._max_bucket_keys:
                    break
            if len(keys) <= self._max_bucket_keys:
                return shape, tuple(keys)
        return None, ()


def _rank(path: str, pins: list[dict[str, frozenset[str]]]) -> tuple[int, int, str]:
    preference = _PREFERRED_FIELDS.index(path) if path in _PREFERRED_FIELDS else len(_PREFERRED_FIELDS)
    return preference, max(len(pinned[path]) for pinned in pins), path
