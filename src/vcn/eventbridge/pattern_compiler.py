"""Parsing and validation of event patterns into alternatives of field conditions, with AWS's messages.

A pattern becomes a list of alternatives (one per combination of `$or` branches); each alternative is a
tuple of `Condition`s on dotted paths, all of which must hold. Validation happens here, once, so that
matching never re-reads the pattern. Messages not recorded from AWS are marked `# UNCONFIRMED`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vcn.eventbridge.pattern_errors import EventPatternTooLong, InvalidEventPattern
from vcn.eventbridge.pattern_values import (
    LeafMatcher,
    NumberTest,
    StringTest,
    ValueTest,
    as_float,
    cidr_test,
    finite_number,
    is_json_number,
    parse_cidr,
)
from vcn.eventbridge.pattern_wildcards import (
    TOO_COMPLEX,
    WildcardTokens,
    parse_wildcard,
    wildcard_complexity,
    wildcard_test,
)
from vcn.eventbridge.strict_json import MAX_DEPTH, JsonRefused, check_depth

OR_KEY = "$or"
WILDCARD_WORK_BUDGET = 200_000


@dataclass(frozen=True)
class PatternLimits:
    """Limits AWS applies to a pattern; settings so a deployment with a raised quota can be mirrored."""

    max_length: int = 4096  # API limit; the default account quota is 2048
    max_combinations: int = 1000  # alternatives after expanding every $or
    # Positions one character may advance at once in a field's wildcard patterns (`pattern_wildcards`):
    # five `*:` in a row pass, six do not. UNCONFIRMED: AWS publishes neither its measure nor its threshold.
    max_wildcard_complexity: int = 5


DEFAULT_LIMITS = PatternLimits()


@dataclass(frozen=True)
class Condition:
    """One field of one alternative: dotted path, a test for its leaf values, whether absence is fine."""

    path: str
    test: ValueTest
    absent_ok: bool
    pinned: frozenset[str] | None


Alternative = tuple[Condition, ...]


def parse_pattern(
    pattern: str | Mapping[str, Any], limits: PatternLimits = DEFAULT_LIMITS
) -> tuple[str, Any]:
    """The pattern's text and its parsed JSON value (last duplicate key wins, as in AWS)."""
    if isinstance(pattern, str):
        text = pattern
    elif isinstance(pattern, Mapping):
        text = json.dumps(pattern, separators=(",", ":"), ensure_ascii=False)
    else:
        raise InvalidEventPattern("Filter is not an object")
    if len(text) > limits.max_length:
        # UNCONFIRMED: AWS rejects an over-long pattern before parsing it; this wording is ours.
        raise EventPatternTooLong(
            f"Event pattern is {len(text)} characters long, the limit is {limits.max_length}; shorten it"
        )
    if not isinstance(pattern, str):
        return text, pattern
    try:
        check_depth(text, MAX_DEPTH)
    except JsonRefused as refused:
        raise InvalidEventPattern(f"Filter is not valid JSON: {refused.reason}") from None  # UNCONFIRMED
    try:
        return text, json.loads(
            text, parse_constant=_reject_constant, parse_float=_pattern_number, parse_int=_pattern_number
        )
    except json.JSONDecodeError as error:
        # UNCONFIRMED: AWS quotes its JSON parser here; the position is what helps.
        raise InvalidEventPattern(
            f"Filter is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def _pattern_number(literal: str) -> int | float:
    """A number of the pattern text, refused (with the text as written) when no float64 can hold it."""
    number: int | float = float(literal) if any(mark in literal for mark in ".eE") else int(literal)
    finite_number(number, literal)
    return number


def compile_alternatives(document: Any, limits: PatternLimits = DEFAULT_LIMITS) -> list[Alternative]:
    """Validate a parsed pattern and expand it into its alternatives."""
    if not isinstance(document, Mapping):
        raise InvalidEventPattern("Filter is not an object")
    compiler = _Compiler(limits)
    alternatives = compiler.object(document, "")
    compiler.check_wildcard_complexity()
    return [tuple(conditions) for conditions in alternatives]


class _Compiler:
    def __init__(self, limits: PatternLimits) -> None:
        self.limits = limits
        self.wildcards: dict[str, list[WildcardTokens]] = {}

    def object(self, obj: Mapping[str, Any], prefix: str) -> list[list[Condition]]:
        if not obj:
            raise InvalidEventPattern("Empty objects are not allowed")  # UNCONFIRMED
        alternatives: list[list[Condition]] = [[]]
        for key, value in obj.items():
            if key == OR_KEY and _is_or_list(value):
                branches: list[list[Condition]] = []
                for branch in value:
                    if not isinstance(branch, Mapping):
                        raise InvalidEventPattern("Each member of $or must be an object")  # UNCONFIRMED
                    branches.extend(self.object(branch, prefix))
                    self._check_combinations(len(branches))
                if len(value) < 2:
                    raise InvalidEventPattern("$or must have at least 2 members")  # UNCONFIRMED
                alternatives = self._product(alternatives, branches)
            elif isinstance(value, Mapping):
                alternatives = self._product(alternatives, self.object(value, f"{prefix}{key}."))
            elif isinstance(value, list):
                condition = self.leaf(f"{prefix}{key}", value)
                alternatives = [[*alternative, condition] for alternative in alternatives]
            else:
                raise InvalidEventPattern(f'"{key}" must be an object or an array')
        return alternatives

    def _product(self, left: list[list[Condition]], right: list[list[Condition]]) -> list[list[Condition]]:
        self._check_combinations(len(left) * len(right))
        return [[*a, *b] for a in left for b in right]

    def _check_combinations(self, count: int) -> None:
        if count > self.limits.max_combinations:
            # UNCONFIRMED: AWS's wording when $or expands to too many combinations.
            raise InvalidEventPattern(
                f"Rule is too complex - $or expands to more than {self.limits.max_combinations} combinations"
            )

    def check_wildcard_complexity(self) -> None:
        limit = self.limits.max_wildcard_complexity
        starred = [
            patterns
            for patterns in self.wildcards.values()
            if any(token is None for tokens in patterns for token in tokens)
        ]
        # One work budget per rule, shared by its fields, bounds the time a PutRule can spend here.
        budget = WILDCARD_WORK_BUDGET // max(1, len(starred))
        for patterns in starred:
            if wildcard_complexity(patterns, limit=limit, work_budget=budget) > limit:
                raise InvalidEventPattern(TOO_COMPLEX)

    # --- leaves -----------------------------------------------------------------------------------------

    def leaf(self, path: str, values: list[Any]) -> Condition:
        if not values:
            raise InvalidEventPattern("Empty arrays are not allowed")
        matcher = LeafMatcher()
        for value in values:
            if isinstance(value, str):
                matcher.strings.add(value)
            elif isinstance(value, bool):
                if value:
                    matcher.true = True
                else:
                    matcher.false = True
            elif value is None:
                matcher.null = True
            elif is_json_number(value):
                matcher.numbers.add(finite_number(value))
            elif isinstance(value, Mapping):
                self.operator(path, value, matcher)
            else:
                # UNCONFIRMED: AWS's wording for a nested array inside a match list.
                raise InvalidEventPattern("Match value must be String, number, true, false, or null")
        return Condition(path, matcher.build(), matcher.absent, matcher.pinned_strings())

    def operator(self, path: str, expression: Mapping[str, Any], matcher: LeafMatcher) -> None:
        if len(expression) != 1:
            # UNCONFIRMED: AWS's wording for an empty match object or one with several match types.
            raise InvalidEventPattern("A match expression must hold exactly one match type")
        ((name, argument),) = expression.items()
        if name == "prefix":
            matcher.string_tests.append(_affix_test(argument, "prefix", str.startswith))
        elif name == "suffix":
            matcher.string_tests.append(_affix_test(argument, "suffix", str.endswith))
        elif name == "equals-ignore-case":
            if not isinstance(argument, str):
                raise InvalidEventPattern("equals-ignore-case match pattern must be a string")
            matcher.string_tests.append(_ignore_case_test(argument))
        elif name == "anything-but":
            matcher.any_tests.append(self.anything_but(path, argument))
        elif name == "numeric":
            matcher.number_tests.append(_numeric_test(argument))
        elif name == "cidr":
            if not isinstance(argument, str):
                raise InvalidEventPattern("cidr match pattern must be a string")  # UNCONFIRMED
            matcher.string_tests.append(cidr_test(parse_cidr(argument)))
        elif name == "exists":
            if not isinstance(argument, bool):
                raise InvalidEventPattern("exists match pattern must be either true or false.")  # UNCONFIRMED
            if argument:
                matcher.exists = True
            else:
                matcher.absent = True
        elif name == "wildcard":
            if not isinstance(argument, str):
                raise InvalidEventPattern("wildcard match pattern must be a string")
            matcher.string_tests.append(self._wildcard(path, argument))
        else:
            raise InvalidEventPattern(f"Unrecognized match type {name}")

    def _wildcard(self, path: str, pattern: str) -> StringTest:
        tokens = parse_wildcard(pattern)
        self.wildcards.setdefault(path, []).append(tokens)
        return wildcard_test(tokens)

    def anything_but(self, path: str, argument: Any) -> ValueTest:
        if isinstance(argument, str) or is_json_number(argument):
            return _excluding_values([argument])
        if isinstance(argument, list):
            if not argument:
                raise InvalidEventPattern("Empty arrays are not allowed")  # UNCONFIRMED for anything-but
            for value in argument:
                if not (isinstance(value, str) or is_json_number(value)):
                    raise InvalidEventPattern(
                        "Inside anything but list, start|null|boolean is not supported."
                    )
            return _excluding_values(argument)
        if isinstance(argument, Mapping):
            if len(argument) != 1:
                # UNCONFIRMED: AWS's wording for an anything-but object with zero or several match types.
                raise InvalidEventPattern("Anything-But expressions only support one match type")
            ((name, inner),) = argument.items()
            return _excluding_strings(self._anything_but_string_test(path, name, inner))
        raise InvalidEventPattern("Value of anything-but must be an array or single string/number value.")

    def _anything_but_string_test(self, path: str, name: str, inner: Any) -> StringTest:
        if name in ("prefix", "suffix"):
            texts = _string_list(inner, name, "prefix/suffix match pattern must be a string")
            if any(text == "" for text in texts):
                raise InvalidEventPattern("Null prefix/suffix not allowed")
            affixes = tuple(texts)
            if name == "prefix":
                return lambda value: value.startswith(affixes)
            return lambda value: value.endswith(affixes)
        if name == "equals-ignore-case":
            texts = _string_list(inner, name, "equals-ignore-case match pattern must be a string")
            lowered = frozenset(text.lower() for text in texts)
            return lambda value: value.lower() in lowered
        if name == "wildcard":
            texts = _string_list(inner, name, "wildcard match pattern must be a string")
            tests = [self._wildcard(path, text) for text in texts]
            return lambda value: any(test(value) for test in tests)
        raise InvalidEventPattern(f"Unsupported anything-but pattern: {name}")  # UNCONFIRMED


def _is_or_list(value: Any) -> bool:
    """`$or` is the OR relationship when it holds objects; with plain values it is an ordinary field."""
    return isinstance(value, list) and any(isinstance(member, Mapping) for member in value)


def _string_list(argument: Any, name: str, scalar_message: str) -> list[str]:
    """One string or a list of strings, as the anything-but sub-operators take them."""
    if isinstance(argument, str):
        return [argument]
    if isinstance(argument, list):
        if not argument:
            raise InvalidEventPattern("Empty arrays are not allowed")  # UNCONFIRMED for anything-but lists
        for value in argument:
            if not isinstance(value, str):
                # Recorded from AWS for equals-ignore-case; same wording assumed for the others (UNCONFIRMED).
                raise InvalidEventPattern(
                    f"Inside anything-but/{name} list, number|start|null|boolean is not supported."
                )
        return argument
    raise InvalidEventPattern(scalar_message)


def _affix_test(argument: Any, name: str, check: Callable[[str, str], bool]) -> StringTest:
    """prefix / suffix: a string, or `{"equals-ignore-case": string}` for the case-insensitive form."""
    if isinstance(argument, str):
        if argument == "":
            return _any_string
        return lambda value: check(value, argument)
    if isinstance(argument, Mapping):
        if len(argument) != 1 or "equals-ignore-case" not in argument:
            unsupported = ", ".join(argument) or "{}"
            raise InvalidEventPattern(f"Unsupported {name} pattern: {unsupported}")  # UNCONFIRMED
        inner = argument["equals-ignore-case"]
        if not isinstance(inner, str):
            raise InvalidEventPattern("equals-ignore-case match pattern must be a string")
        lowered = inner.lower()
        return lambda value: check(value.lower(), lowered)
    raise InvalidEventPattern(f"{name} match pattern must be a string")


def _any_string(value: str) -> bool:
    return True


def _ignore_case_test(text: str) -> StringTest:
    lowered = text.lower()
    return lambda value: value.lower() == lowered


def _excluding_values(excluded: list[Any]) -> ValueTest:
    """anything-but over exact values: every value (null, booleans, other types) except those listed."""
    strings = frozenset(value for value in excluded if isinstance(value, str))
    numbers = frozenset(finite_number(value) for value in excluded if not isinstance(value, str))

    def test(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value not in strings
        if kind is int or kind is float:
            return as_float(value) not in numbers
        return True

    return test


def _excluding_strings(excluded: StringTest) -> ValueTest:
    """anything-but over a string operator: non-strings always match, strings when the operator does not."""
    return lambda value: type(value) is not str or not excluded(value)


_LOWER_BOUNDS = {">": False, ">=": True}  # operator -> bound included
_UPPER_BOUNDS = {"<": False, "<=": True}
_NUMERIC_OPERATORS = {"=", *_LOWER_BOUNDS, *_UPPER_BOUNDS}


def _numeric_test(argument: Any) -> NumberTest:
    """`{"numeric": ["=", 5]}`, one bound, or a lower bound followed by an upper bound."""
    if not isinstance(argument, list):
        raise InvalidEventPattern("Value of numeric must be an array.")
    if not argument:
        raise InvalidEventPattern("Empty arrays are not allowed")  # UNCONFIRMED for numeric
    bounds: list[tuple[str, float]] = []
    for position in range(0, len(argument), 2):
        operator = argument[position]
        if not isinstance(operator, str):
            # UNCONFIRMED: AWS's wording for a non-string where a numeric operator belongs.
            raise InvalidEventPattern(f"Invalid member in numeric match: {json.dumps(operator)}")
        if operator not in _NUMERIC_OPERATORS:
            if bounds:
                raise InvalidEventPattern(f"Bad numeric range operator: {operator}")
            raise InvalidEventPattern(f"Unrecognized numeric range operator: {operator}")  # UNCONFIRMED
        if bounds and (bounds[0][0] not in _LOWER_BOUNDS or operator not in _UPPER_BOUNDS):
            raise InvalidEventPattern(f"Bad numeric range operator: {operator}")
        if len(bounds) == 2 or (bounds and bounds[0][0] == "="):
            raise InvalidEventPattern("Too many elements in numeric expression")  # UNCONFIRMED
        value = argument[position + 1] if position + 1 < len(argument) else None
        if not is_json_number(value):
            raise InvalidEventPattern(f"Value of {operator} must be numeric")
        bounds.append((operator, finite_number(value)))  # type: ignore[arg-type]  # is_json_number checked it
    if len(bounds) == 2 and not bounds[0][1] < bounds[1][1]:
        raise InvalidEventPattern("Bottom must be less than top")  # UNCONFIRMED
    return _range_test(bounds)


def _range_test(bounds: list[tuple[str, float]]) -> NumberTest:
    low, low_inclusive, high, high_inclusive = -math.inf, True, math.inf, True
    for operator, value in bounds:
        if operator == "=":
            target = value
            return lambda number: number == target
        if operator in _LOWER_BOUNDS:
            low, low_inclusive = value, _LOWER_BOUNDS[operator]
        else:
            high, high_inclusive = value, _UPPER_BOUNDS[operator]

    def test(number: float) -> bool:
        above = number >= low if low_inclusive else number > low
        return above and (number <= high if high_inclusive else number < high)

    return test
