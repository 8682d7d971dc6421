"""The JSONPath subset EventBridge accepts in InputPath, InputPathsMap and HttpParameters: `$`, dotted keys,
array indexes (`$.detail.items[0].id`) and bracketed keys (`$['detail-type']`)."""

from __future__ import annotations

import re
from typing import Any, Final

Step = str | int


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

_BRACKET = re.compile(r"\[(?:(\d+)|'([^']*)'|\"([^\"]*)\")\]")


class InvalidJsonPath(ValueError):
    """The path is not in the supported JSONPath subset."""


def parse_path(path: str) -> tuple[Step, ...]:
    if not path.startswith("$"):
        raise InvalidJsonPath(f"{path!r} must start with '$'")
    steps: list[Step] = []
    i = 1
    while i < len(path):
        char = path[i]
        if char == ".":
            end = i + 1
            while end < len(path) and path[end] not in ".[":
                end += 1
            name = path[i + 1 : end]
            if not name or name == "*":
                raise InvalidJsonPath(f"{path!r} has an empty or wildcard key at position {i + 1}")
            steps.append(name)
            i = end
        elif char == "[":
            match = _BRACKET.match(path, i)
            if match is None:
                raise InvalidJsonPath(f"{path!r} has an unsupported bracket expression at position {i}")
            index, single, double = match.groups()
            steps.append(int(index) if index is not None else (single if single is not None else double))
            i = match.end()
        else:
            raise InvalidJsonPath(f"{path!r} has an unexpected {char!r} at position {i}")
    return tuple(steps)


def resolve(steps: tuple[Step, ...], document: Any) -> Any:
    """The value at the path, or MISSING."""
    current = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return MISSING
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                return MISSING
            current = current[step]
    return current
