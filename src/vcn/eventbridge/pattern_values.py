"""Value-level matching for event patterns: one predicate per pattern leaf, built from its match values.

A leaf list such as `["a", {"prefix": "b"}, {"numeric": [">", 1]}]` ORs its members; `LeafMatcher` gathers
them by the JSON type they can match (strings, numbers, null, booleans, any type for anything-but) and
builds one predicate that dispatches on the event value's type first, so a string never equals a number
and `true` never equals `1`. Also here: wildcard parsing and complexity, CIDR parsing.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vcn.eventbridge.pattern_errors import InvalidEventPattern

ValueTest = Callable[[Any], bool]
StringTest = Callable[[str], bool]
NumberTest = Callable[[float], bool]

# A wildcard pattern as tokens: one character each, None for `*`.
WildcardTokens = tuple[str | None, ...]

TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences "
    "after a wildcard character"
)


def as_float(number: int | float) -> float:
    """A JSON number as AWS compares it: a float64 (integers too large for one become infinite)."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def finite_number(number: int | float, literal: str | None = None) -> float:
    """A pattern's number as a float64; InvalidEventPattern when it has none (1e400, NaN, huge integers)."""
    value = as_float(number)
    if not math.isfinite(value):
        # UNCONFIRMED: AWS's wording; its engine compares numbers as float64, which cannot hold this one.
        shown = literal if literal is not None else repr(number)
        shown = shown if len(shown) <= 40 else f"{shown[:20]}...({len(shown)} characters)"
        raise InvalidEventPattern(f"Number {shown} is out of range: numbers must fit a 64-bit float")
    return value


def is_json_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


# --- wildcard -------------------------------------------------------------------------------------------


def parse_wildcard(pattern: str) -> WildcardTokens:
    """Tokens of a wildcard pattern; `\\*` is a literal star and `\\\\` a backslash."""
    tokens: list[str | None] = []
    previous_was_star = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            following = pattern[index + 1] if index + 1 < len(pattern) else ""
            if following not in ("*", "\\"):
                # UNCONFIRMED: AWS's wording for a backslash that escapes neither `*` nor `\`.
                raise InvalidEventPattern(f"Invalid escape character at pos {_java_position(pattern, index)}")
            tokens.append(following)
            previous_was_star = False
            index += 2
            continue
        if char == "*":
            if previous_was_star:
                position = _java_position(pattern, index)
                raise InvalidEventPattern(f"Consecutive wildcard characters at pos {position}")
            tokens.append(None)
            previous_was_star = True
        else:
            tokens.append(char)
            previous_was_star = False
        index += 1
    return tuple(tokens)


def _java_position(pattern: str, index: int) -> int:
    """Position as AWS reports it: UTF-16 index in the value wrapped in quotes (the leading quote counts)."""
    # UNCONFIRMED: AWS counts positions in the quoted value (as event-ruler stores it); raw index + 1.
    return 1 + sum(2 if ord(char) > 0xFFFF else 1 for char in pattern[:index])


def wildcard_test(tokens: WildcardTokens) -> StringTest:
    """A predicate for strings matching the wildcard pattern (segment search, no backtracking regex)."""
    segments: list[str] = [""]
    for token in tokens:
        if token is None:
            segments.append("")
        else:
            segments[-1] += token
    if len(segments) == 1:
        literal = segments[0]
        return literal.__eq__
    head, middle, tail = segments[0], segments[1:-1], segments[-1]
    fixed = len(head) + len(tail)

    def matches(value: str) -> bool:
        if len(value) < fixed or not value.startswith(head) or not value.endswith(tail):
            return False
        position, end = len(head), len(value) - len(tail)
        for segment in middle:
            found = value.find(segment, position, end)
            if found < 0:
                return False
            position = found + len(segment)
        return True

    return matches


def wildcard_complexity(patterns: Sequence[WildcardTokens], *, limit: int, work_budget: int = 200_000) -> int:
    """The most pattern positions one input keeps active at once (exploration stops above `limit`).

    First along telling inputs (the literal text, runs of the characters that follow a star), then by walking
    the subset construction of the combined automaton until `work_budget` state steps are spent, so that
    a long pattern cannot make PutRule slow; many stars or repeated sequences after a star grow the count.
    """
    # UNCONFIRMED: AWS's exact complexity measure and threshold; this follows its wording (active states).
    automaton = _WildcardAutomaton(patterns)
    worst = automaton.longest_run(automaton.telling_inputs(limit), limit)
    if worst > limit:
        return worst
    seen = {automaton.start}
    frontier = [automaton.start]
    work = 0
    while frontier and worst <= limit and work <= work_budget:
        current = frontier.pop()
        for char in automaton.next_characters(current):
            work += len(current)
            successor = automaton.step(current, char)
            if successor and successor not in seen:
                seen.add(successor)
                frontier.append(successor)
                worst = max(worst, len(successor))
    return worst


_UNMENTIONED = "\x00\uffff"  # stands for every character the patterns do not mention


class _WildcardAutomaton:
    """The combined position automaton of a field's wildcard patterns (a state is (pattern, position))."""

    def __init__(self, patterns: Sequence[WildcardTokens]) -> None:
        self.patterns = patterns
        self.start = self.closure((index, 0) for index in range(len(patterns)))

    def closure(self, states: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        result: set[tuple[int, int]] = set()
        for pattern_index, position in states:
            tokens = self.patterns[pattern_index]
            result.add((pattern_index, position))
            while position < len(tokens) and tokens[position] is None:
                position += 1
                result.add((pattern_index, position))
        return frozenset(result)

    def step(self, states: frozenset[tuple[int, int]], char: str) -> frozenset[tuple[int, int]]:
        following: list[tuple[int, int]] = []
        for pattern_index, position in states:
            tokens = self.patterns[pattern_index]
            if position < len(tokens):
                token = tokens[position]
                if token is None:
                    following.append((pattern_index, position))
                elif token == char:
                    following.append((pattern_index, position + 1))
        return self.closure(following)

    def next_characters(self, states: frozenset[tuple[int, int]]) -> set[str]:
        chars = {_UNMENTIONED}
        for pattern_index, position in states:
            tokens = self.patterns[pattern_index]
            token = tokens[position] if position < len(tokens) else None
            if token is not None:
                chars.add(token)
        return chars

    def telling_inputs(self, limit: int) -> list[str]:
        literal_text = "".join(token for tokens in self.patterns for token in tokens if token is not None)
        after_star = {
            tokens[index + 1]
            for tokens in self.patterns
            for index in range(len(tokens) - 1)
            if tokens[index] is None and tokens[index + 1] is not None
        }
        return [
            literal_text,
            *(char * (2 * limit) for char in sorted(c for c in after_star if c)),
        ]

    def longest_run(self, inputs: list[str], limit: int) -> int:
        worst = len(self.start)
        for text in inputs:
            states = self.start
            for char in text:
                states = self.step(states, char)
                if not states:
                    break
                worst = max(worst, len(states))
                if worst > limit:
                    return worst
        return worst


# --- cidr -----------------------------------------------------------------------------------------------

_MASK_BITS = re.compile(r"[+-]?[0-9]+")
_IP_TEXT = re.compile(r"[0-9A-Fa-f:.]+")


def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IPv4 or IPv6 network from `address/bits`, with AWS's messages (checks in AWS's order)."""
    parts = text.split("/")
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()  # like Java's String.split, trailing empty parts vanish: "10.0.0.0/" has no mask
    if len(parts) != 2:
        raise InvalidEventPattern("Malformed CIDR, one '/' required")
    address_text, bits_text = parts
    if not _MASK_BITS.fullmatch(bits_text):
        raise InvalidEventPattern("Malformed CIDR, mask bits must be an integer")
    address = parse_ip(address_text)
    if address is None:
        raise InvalidEventPattern(f"Nonstandard IP address: {address_text}")
    bits = int(bits_text)
    if not 0 <= bits <= address.max_prefixlen:
        # UNCONFIRMED: AWS's wording for a mask outside 0..32 / 0..128.
        raise InvalidEventPattern(f"Malformed CIDR, mask bits must be between 0 and {address.max_prefixlen}")
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a string holds, or None (no zone ids, no surrounding spaces)."""
    if not _IP_TEXT.fullmatch(text):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def cidr_test(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> StringTest:
    def matches(value: str) -> bool:
        address = parse_ip(value)
        return address is not None and address.version == network.version and address in network

    return matches


# --- one leaf list --------------------------------------------------------------------------------------


@dataclass
class LeafMatcher:
    """The ORed match values of one pattern leaf, collected while compiling and then built into a test."""

    strings: set[str] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    null: bool = False
    true: bool = False
    false: bool = False
    exists: bool = False
    absent: bool = False
    string_tests: list[StringTest] = field(default_factory=list)
    number_tests: list[NumberTest] = field(default_factory=list)
    any_tests: list[ValueTest] = field(default_factory=list)
    wildcards: list[WildcardTokens] = field(default_factory=list)

    def pinned_strings(self) -> frozenset[str] | None:
        """The exact strings this leaf requires when it accepts nothing else (a rule index keys on them)."""
        only_strings = not (
            self.numbers
            or self.null
            or self.true
            or self.false
            or self.exists
            or self.absent
            or self.string_tests
            or self.number_tests
            or self.any_tests
        )
        return frozenset(self.strings) if only_strings and self.strings else None

    def build(self) -> ValueTest:
        if self.exists:
            return _always
        if self.pinned_strings() is not None:
            return frozenset(self.strings).__contains__
        single = self._single_operator_test()
        if single is not None:
            return single
        strings = frozenset(self.strings)
        numbers = frozenset(self.numbers)
        null, true, false = self.null, self.true, self.false
        string_tests = tuple(self.string_tests)
        number_tests = tuple(self.number_tests)
        any_tests = tuple(self.any_tests)

        def test(value: Any) -> bool:
            kind = type(value)
            if kind is str:
                if value in strings:
                    return True
                for string_test in string_tests:
                    if string_test(value):
                        return True
            elif kind is bool:
                if true if value else false:
                    return True
            elif value is None:
                if null:
                    return True
            elif kind is int or kind is float:
                number = as_float(value)
                if number in numbers:
                    return True
                for number_test in number_tests:
                    if number_test(number):
                        return True
            return any(any_test(value) for any_test in any_tests)

        return test

    def _single_operator_test(self) -> ValueTest | None:
        """A tighter test for the common leaf holding one operator and nothing else (matching speed)."""
        if self.strings or self.numbers or self.null or self.true or self.false:
            return None
        tests = (self.string_tests, self.number_tests, self.any_tests)
        if sum(len(group) for group in tests) != 1:
            return None
        if self.any_tests:
            return self.any_tests[0]
        if self.string_tests:
            string_test = self.string_tests[0]
            return lambda value: type(value) is str and string_test(value)
        number_test = self.number_tests[0]
        return lambda value: (type(value) is int or type(value) is float) and number_test(as_float(value))


def _always(value: Any) -> bool:
    return True
