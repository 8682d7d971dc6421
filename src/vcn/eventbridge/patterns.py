"""Event patterns: `compile_pattern` validates a pattern once (AWS's messages) and returns a reusable matcher.

The import point of the pattern engine. Parsing and validation live in `pattern_compiler`, value tests in
`pattern_values`, event flattening in `pattern_flatten`; this module matches a flattened event against a
compiled pattern, including the rule that fields named together must come from the same array element.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vcn.eventbridge.pattern_compiler import (
    DEFAULT_LIMITS,
    Alternative,
    PatternLimits,
    compile_alternatives,
    parse_pattern,
)
from vcn.eventbridge.pattern_errors import EventPatternTooLong, InvalidEventPattern
from vcn.eventbridge.pattern_flatten import FlatEvent, Membership, flatten_event, path_prefixes

__all__ = [
    "DEFAULT_LIMITS",
    "EventPattern",
    "EventPatternTooLong",
    "FlatEvent",
    "InvalidEventPattern",
    "PatternLimits",
    "compile_pattern",
    "flatten_event",
]


def compile_pattern(
    pattern: str | Mapping[str, Any], *, limits: PatternLimits = DEFAULT_LIMITS
) -> EventPattern:
    """Parse, validate and compile an event pattern (JSON text or an already parsed object).

    Raises `InvalidEventPattern` (str() is AWS's full message) for anything AWS would reject.
    """
    text, document = parse_pattern(pattern, limits)
    return EventPattern(text, compile_alternatives(document, limits))


class EventPattern:
    """A compiled event pattern: any of its alternatives (one per `$or` combination) must hold."""

    __slots__ = ("_alternatives", "_only", "path_prefixes", "text")

    def __init__(self, text: str, alternatives: Sequence[Alternative]) -> None:
        self.text = text
        self._alternatives = tuple(alternatives)
        self._only = self._alternatives[0] if len(self._alternatives) == 1 else None
        paths = (condition.path for alternative in self._alternatives for condition in alternative)
        self.path_prefixes = frozenset(path_prefixes(paths))

    def __repr__(self) -> str:
        return f"EventPattern({self.text!r})"

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event (a parsed JSON object) matches."""
        return self.matches_flat(flatten_event(event, self.path_prefixes))

    def matches_flat(self, flat: FlatEvent) -> bool:
        """Whether an already flattened event matches (lets many patterns share one flattening).

        `flat` must hold at least the paths in `path_prefixes` (a full `flatten_event(event)` does).
        """
        if self._only is not None:
            return _alternative_matches(self._only, flat)
        return any(_alternative_matches(alternative, flat) for alternative in self._alternatives)

    def exact_string_pins(self) -> list[dict[str, frozenset[str]]]:
        """Per alternative, the paths it pins to a set of exact strings (nothing else matches there)."""
        pins: list[dict[str, frozenset[str]]] = []
        for alternative in self._alternatives:
            pinned: dict[str, frozenset[str]] = {}
            for condition in alternative:
                if condition.pinned is not None:
                    previous = pinned.get(condition.path)
                    pinned[condition.path] = (
                        condition.pinned if previous is None else previous & condition.pinned
                    )
            pins.append(pinned)
        return pins


def _alternative_matches(alternative: Alternative, flat: FlatEvent) -> bool:
    constrained: list[list[Membership]] | None = None
    for condition in alternative:
        leaves = flat.get(condition.path)
        if leaves is None:
            if condition.absent_ok:
                continue
            return False
        test = condition.test
        memberships: list[Membership] = []
        for value, membership in leaves:
            if test(value):
                if not membership:
                    break  # a leaf outside any array agrees with every array element
                memberships.append(membership)
        else:
            if not memberships:
                return False
            if constrained is None:
                constrained = [memberships]
            else:
                constrained.append(memberships)
    if constrained is None or len(constrained) < 2:
        return True
    return _same_elements_possible(constrained)


def _same_elements_possible(groups: list[list[Membership]]) -> bool:
    """Whether one matching leaf per field can be picked so that shared arrays agree on the element index."""
    choices = sorted((list(dict.fromkeys(group)) for group in groups), key=len)
    chosen: dict[int, int] = {}

    def place(depth: int) -> bool:
        if depth == len(choices):
            return True
        for membership in choices[depth]:
            added: list[int] = []
            agrees = True
            for array_id, index in membership:
                current = chosen.get(array_id)
                if current is None:
                    chosen[array_id] = index
                    added.append(array_id)
                elif current != index:
                    agrees = False
                    break
            if agrees and place(depth + 1):
                return True
            for array_id in added:
                del chosen[array_id]
        return False

    return place(0)
