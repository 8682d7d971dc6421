"""JSON from clients, parsed with the limits a server needs: bounded nesting, finite numbers, UTF-8 only.

Python's `json` accepts `NaN`, `Infinity` and numbers that overflow to infinity (`1e400`), none of which is
JSON, and hits the interpreter's recursion limit on deep nesting (`[` x 100,000 raises RecursionError, which
a server would report as its own failure). `loads` refuses all of these with `JsonRefused`, a ValueError
whose message says what was wrong, so each server can answer its own 4xx.

AWS documents no nesting limit for the payloads the local cloud parses (UNCONFIRMED); `MAX_DEPTH` is far
above any real event and far below Python's recursion limit, so parsing and re-serialising stay safe.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 500

# A JSON string literal, unrolled so a long string costs one linear scan.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}.__getitem__


class JsonRefused(ValueError):
    """The text is not JSON a server accepts; the message says why, for the client."""


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON value; send a finite number or null")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise JsonRefused(f"the number {literal[:40]} is out of range; JSON numbers must fit a double")
    return value


# Built once: json.loads with hooks would construct a decoder on every call (~8 us, more than the parse).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def not_utf8(exc: UnicodeDecodeError) -> str:
    """Where text that should be UTF-8 is not, for an error message: `invalid byte 0xff at offset 0`."""
    return f"invalid byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"


def nesting_depth_exceeds(text: str, max_depth: int) -> bool:
    """True when arrays and objects in `text` nest deeper than `max_depth` (brackets inside strings aside)."""
    # Fewer brackets than the limit cannot nest deeper than it: the common case costs two C-level counts.
    if text.count("[") + text.count("{") <= max_depth:
        return False
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text))
    # The running sum of +1 per opening and -1 per closing bracket, all in C.
    return max(accumulate(map(_STEP, brackets)), default=0) > max_depth


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one JSON text (bytes must be UTF-8); raise JsonRefused for anything a server must refuse."""
    if isinstance(data, bytes | bytearray):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused(f"the body is not UTF-8 (invalid byte at offset {exc.start})") from None
    else:
        text = data
    if nesting_depth_exceeds(text, max_depth):
        raise JsonRefused(f"JSON nests deeper than {max_depth} levels; flatten it")
    try:
        return _DECODER.decode(text)
    except JsonRefused:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # only when called with a max_depth near the recursion limit
        raise JsonRefused(f"JSON nests too deeply to parse; keep it under {max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer over Python's 4,300-digit conversion limit
        raise JsonRefused(f"not a usable JSON value: {exc}") from None
