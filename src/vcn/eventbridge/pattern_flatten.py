"""Flattening of an event into dotted leaf paths, remembering which array element each leaf came from.

`{"a": {"b.c": 1}}` and `{"a.b": {"c": 1}}` both give the path `a.b.c`, which is how a dotted key matches
nested keys and the other way round. Each leaf carries its array membership: one `(array id, index)` pair
per enclosing array, so that fields named together in a pattern can be required to come from the same
array element. Given the dotted prefixes a set of patterns uses (`path_prefixes`), only those parts of
the event are walked, so large unrelated payloads cost nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

Membership = tuple[tuple[int, int], ...]
Leaf = tuple[Any, Membership]
FlatEvent = dict[str, list[Leaf]]

_NOT_IN_ARRAY: Membership = ()


def flatten_event(event: Mapping[str, Any], wanted: frozenset[str] | None = None) -> FlatEvent:
    """Every scalar leaf of `event` (strings, numbers, booleans, null) under its dotted path.

    With `wanted` (from `path_prefixes`), only leaves whose paths some pattern names are produced.
    """
    flat: FlatEvent = {}
    _walk_object(event, "", _NOT_IN_ARRAY, flat, itertools.count(), wanted)
    return flat


def path_prefixes(paths: Iterable[str]) -> set[str]:
    """Each path and its prefixes ending before a dot: what `flatten_event` must walk to reach the paths."""
    prefixes: set[str] = set()
    for path in paths:
        prefixes.add(path)
        dot = path.find(".")
        while dot >= 0:
            prefixes.add(path[:dot])
            dot = path.find(".", dot + 1)
    return prefixes


def _walk_object(
    obj: Mapping[str, Any],
    prefix: str,
    membership: Membership,
    flat: FlatEvent,
    ids: Iterator[int],
    wanted: frozenset[str] | None,
) -> None:
    for key, value in obj.items():
        path = prefix + key
        if wanted is not None and path not in wanted:
            continue  # no pattern names this path or anything below it
        if isinstance(value, dict):
            _walk_object(value, path + ".", membership, flat, ids, wanted)
        elif isinstance(value, list):
            _walk_array(value, path, membership, flat, ids, wanted)
        else:
            leaves = flat.get(path)
            if leaves is None:
                flat[path] = [(value, membership)]
            else:
                leaves.append((value, membership))


def _walk_array(
    items: list[Any],
    path: str,
    membership: Membership,
    flat: FlatEvent,
    ids: Iterator[int],
    wanted: frozenset[str] | None,
) -> None:
    array_id = next(ids)
    for index, item in enumerate(items):
        inner = (*membership, (array_id, index))
        if isinstance(item, dict):
            _walk_object(item, path + ".", inner, flat, ids, wanted)
        elif isinstance(item, list):
            _walk_array(item, path, inner, flat, ids, wanted)
        else:
            leaves = flat.get(path)
            if leaves is None:
                flat[path] = [(item, inner)]
            else:
                leaves.append((item, inner))
