"""Value-level matching for event patterns: one predicate per pattern leaf, built from its match values.

A leaf list such as `["a", {"prefix": "b"}, {"numeric": [">", 1]}]` ORs its members; `LeafMatcher` gathers
them by the JSON type they can match (strings, numbers, null, booleans, any type for anything-but) and
builds one predicate that dispatches on the event value's type first, so a string never equals a number
and `true` never equals `1`. Also here: CIDR parsing (wildcards are `pattern_wildcards`).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vcn.eventbridge.pattern_errors import InvalidEventPattern

ValueTest = Callable[[Any], bool]
StringTest = Callable[[str], bool]
NumberTest = Callable[[float], bool]


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
