"""The service model's `pattern` constraints, which are Java regular expressions, matched as AWS matches them.

AWS's validation layer runs each pattern with Java's `Matcher.matches()`: the whole value must match, `\\w`,
`\\d` and `\\s` are ASCII, `\\p{L}`-style classes are Unicode properties, and `.` stops at any line terminator
(so a description with a line break fails `.*`). The `regex` package has Java's property classes; the dot is
rewritten here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import regex

# Java's `.` matches anything but these line terminators (Python's stops at `\n` only).
_JAVA_DOT = "[^\\n\\r\\x85\\u2028\\u2029]"


def java_to_python(pattern: str) -> str:
    """The pattern with every unescaped `.` outside a character class spelled as Java means it."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(_JAVA_DOT if char == "." and not in_class else char)
        index += 1
    return "".join(out)


@cache
def full_match(pattern: str) -> Callable[[str], bool]:
    """A predicate: does the whole value match this model pattern?"""
    compiled = regex.compile(java_to_python(pattern), regex.ASCII | regex.VERSION0)

    def matches(value: str) -> bool:
        return compiled.fullmatch(value) is not None

    return matches
