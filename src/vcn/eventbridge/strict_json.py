"""Strict, bounded JSON reading for everything the local EventBridge parses: request bodies, `Detail`, test
events, event patterns, target inputs, dead-letter files and what endpoints answer.

Python's `json` module accepts `NaN` and `Infinity`, turns `1e400` into an infinite float, decodes an escaped
lone surrogate (`"\\ud800"`) into a string no encoder can write back, and recurses once per nesting level, so
deep input raises RecursionError wherever it is parsed or walked later. `parse` refuses all of these with
`JsonRefused` (a ValueError whose `reason` says which), so callers answer 4xx at the door instead of failing
later, after side effects.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# UNCONFIRMED: AWS documents no nesting limit for events; 100 levels is far beyond real events and far below
# where Python's recursion (pattern flattening, JSON encoding) could fail.
MAX_DEPTH = 100

_STRING_LITERAL = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRefused(ValueError):
    """Text that is not strict JSON within the limits; `reason` completes "... is not valid JSON: "."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse(text: str | bytes, *, max_depth: int = MAX_DEPTH, lone_surrogates: bool = False) -> Any:
    """The JSON value of `text` (UTF-8 when bytes), or JsonRefused. `lone_surrogates` keeps escaped unpaired
    surrogates, for files written with ASCII escapes precisely so that any string survives the round trip."""
    if not isinstance(text, str | bytes | bytearray):
        raise TypeError(f"JSON text must be str or bytes, not {type(text).__name__}")
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    check_depth(text, max_depth)
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused(f"it nests deeper than this process can parse (limit {max_depth})") from None
    except ValueError as exc:
        raise JsonRefused(str(exc)) from None
    # Only text that spells a surrogate (escaped, or raw in a str) can produce an unpaired one.
    if lone_surrogates:
        return value
    if ("\\u" in text and _SURROGATE_ESCAPE.search(text)) or (not text.isascii() and _SURROGATE.search(text)):
        check_encodable(value)
    return value


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """JsonRefused when arrays and objects in `text` nest deeper than `max_depth` (without recursing)."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # too few brackets to nest that deep: the common case costs two counts
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING_LITERAL.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonRefused(f"it nests arrays and objects deeper than {max_depth} levels")
        else:
            depth -= 1


def check_encodable(value: Any) -> None:
    """JsonRefused when a string (or key) in a parsed value holds an unpaired UTF-16 surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                raise JsonRefused(
                    f"a string holds an unpaired UTF-16 surrogate (\\u{ord(found.group()):04x}), "
                    "which is not Unicode text"
                )
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON value")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise JsonRefused(f"the number {literal} is out of range for a 64-bit float")
    return number
