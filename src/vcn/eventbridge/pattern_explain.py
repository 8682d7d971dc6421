"""Why a pattern matched an event: the conditions inside its `$or` branches that hold for the event.

A rule whose pattern is a choice (`"$or": [{..}, {..}]`) says little by matching; which branch matched, and
which value of it, is the interesting part (e.g. `detail.violationCount {"exists": false}`). Each branch
and each value is tested alone, rooted where it stands in the pattern, with the same engine that routes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from vcn.eventbridge.patterns import compile_pattern

OR = "$or"


def matched_conditions(pattern: str | Mapping[str, Any], event: Mapping[str, Any]) -> list[str]:
    """`<field path> <match value>` for every condition of a matching `$or` branch that the event meets."""
    document = json.loads(pattern) if isinstance(pattern, str) else pattern
    found: list[str] = []
    _explain_choices(document, (), event, found)
    return found


def _rooted(path: Sequence[str], value: Any) -> dict[str, Any]:
    """A pattern holding `value` at `path` (a branch or a leaf), so it can be matched alone."""
    for key in reversed(path):
        value = {key: value}
    if not isinstance(value, dict):
        raise ValueError("a pattern is an object")
    return value


def _holds(path: Sequence[str], value: Any, event: Mapping[str, Any]) -> bool:
    return compile_pattern(_rooted(path, value)).matches(event)


def _explain_choices(node: Mapping[str, Any], path: tuple[str, ...], event: Any, found: list[str]) -> None:
    for key, value in node.items():
        if key == OR and isinstance(value, list):
            for branch in value:
                if isinstance(branch, Mapping) and _holds(path, branch, event):
                    _describe(branch, path, event, found)
        elif isinstance(value, Mapping):
            _explain_choices(value, (*path, key), event, found)


def _describe(branch: Mapping[str, Any], path: tuple[str, ...], event: Any, found: list[str]) -> None:
    for key, value in branch.items():
        if key == OR and isinstance(value, list):
            _explain_choices({OR: value}, path, event, found)
        elif isinstance(value, Mapping):
            _describe(value, (*path, key), event, found)
        elif isinstance(value, list):
            field = (*path, key)
            for candidate in value:
                if _holds(field, [candidate], event):
                    found.append(f"{'.'.join(field)} {json.dumps(candidate)}")
