"""Hypothesis properties of the pattern engine and the rule index."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vcn.eventbridge.pattern_flatten import flatten_event
from vcn.eventbridge.patterns import EventPattern, PatternLimits, compile_pattern
from vcn.eventbridge.rule_index import RuleIndex

ROOMY = PatternLimits(max_length=1_000_000)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

keys = st.text(alphabet="abcdxyz-_", min_size=1, max_size=3)
strings = st.text(max_size=12)
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, strings)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
events = st.dictionaries(keys, json_values, min_size=1, max_size=5)


def compile_any(pattern: Any) -> EventPattern:
    return compile_pattern(json.dumps(pattern), limits=ROOMY)


def escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*")


@st.composite
def match_value_for(draw: st.DrawFn, value: Any) -> Any:
    """Some match value that, by the spec, matches this leaf value."""
    if isinstance(value, str):
        cut = draw(st.integers(min_value=0, max_value=len(value)))
        return draw(
            st.sampled_from(
                [
                    value,
                    {"prefix": value[:cut]},
                    {"suffix": value[cut:]},
                    {
                        "equals-ignore-case": value.swapcase()
                        if value.swapcase().lower() == value.lower()
                        else value
                    },
                    {"prefix": {"equals-ignore-case": value[:cut].upper()}}
                    if value[:cut].upper().lower() == value[:cut].lower()
                    else value,
                    {"wildcard": escape_wildcard(value[:cut]) + "*" + escape_wildcard(value[cut + 1 :])}
                    if cut < len(value)
                    else {"wildcard": escape_wildcard(value)},
                    {"exists": True},
                    {"anything-but": value + "-other"},
                ]
            )
        )
    if isinstance(value, bool) or value is None:
        return draw(st.sampled_from([value, {"exists": True}]))
    return draw(
        st.sampled_from(
            [
                value,
                {"numeric": ["=", value]},
                {"numeric": [">=", value]},
                {"numeric": ["<=", value]},
                {"exists": True},
            ]
        )
    )


@st.composite
def pattern_from_event(draw: st.DrawFn, node: Any) -> Any:
    """A pattern built from the event's own values: a subset of keys, one element of each array."""
    if isinstance(node, dict):
        chosen = draw(st.lists(st.sampled_from(sorted(node)), unique=True)) if node else []
        pattern = {}
        for key in chosen:
            sub = draw(pattern_from_event(node[key]))
            if sub is not None:
                pattern[key] = sub
        return pattern or None
    if isinstance(node, list):
        if not node:
            return None
        return draw(pattern_from_event(draw(st.sampled_from(node))))
    return [draw(match_value_for(node))]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), events)
def test_pattern_built_from_an_events_own_values_matches_it(
    data: st.DataObject, event: dict[str, Any]
) -> None:
    pattern = data.draw(pattern_from_event(event))
    assume(pattern is not None)
    compiled = compile_any(pattern)
    assert compiled.matches(event), pattern
    assert compiled.matches_flat(flatten_event(event)), pattern


@PROPERTY_SETTINGS
@given(st.one_of(strings, numbers), st.one_of(st.just([]), st.lists(st.one_of(strings, numbers), max_size=3)))
def test_anything_but_a_value_never_matches_that_value(value: Any, others: list[Any]) -> None:
    assert not compile_any({"f": [{"anything-but": value}]}).matches({"f": value})
    assert not compile_any({"f": [{"anything-but": [*others, value]}]}).matches({"f": value})
    assert not compile_any({"f": [{"anything-but": value}]}).matches({"f": [value, value]})


@PROPERTY_SETTINGS
@given(st.text(min_size=1, max_size=10), st.text(max_size=10))
def test_anything_but_prefix_never_matches_a_string_with_that_prefix(prefix: str, rest: str) -> None:
    assert not compile_any({"f": [{"anything-but": {"prefix": prefix}}]}).matches({"f": prefix + rest})
    assert not compile_any({"f": [{"anything-but": {"suffix": prefix}}]}).matches({"f": rest + prefix})


finite = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 0.0, -0.0, 1, 1.0, 300, 300.0, 2**53, 2**53 + 1, 0.1, 0.30000000000000004]),
)


@PROPERTY_SETTINGS
@given(finite, finite)
def test_numeric_equality_agrees_with_float_comparison(pattern_number: Any, event_number: Any) -> None:
    expected = float(pattern_number) == float(event_number)
    assert compile_any({"f": [{"numeric": ["=", pattern_number]}]}).matches({"f": event_number}) is expected
    assert compile_any({"f": [pattern_number]}).matches({"f": event_number}) is expected


@PROPERTY_SETTINGS
@given(finite, finite)
def test_numeric_bounds_agree_with_float_comparison(bound: Any, event_number: Any) -> None:
    value, limit = float(event_number), float(bound)
    for operator, expected in (
        (">", value > limit),
        (">=", value >= limit),
        ("<", value < limit),
        ("<=", value <= limit),
    ):
        assert compile_any({"f": [{"numeric": [operator, bound]}]}).matches({"f": event_number}) is expected


SOURCES = ["vcn.config", "vcn.supply", "vcn.plant"]
DETAIL_TYPES = ["Submitted", "Validated", "Rejected"]
MARKETS = ["DE", "FR", "US"]

leaf_conditions = st.sampled_from(
    [
        ["DE"],
        ["FR", "US"],
        [{"prefix": "D"}],
        [{"anything-but": "DE"}],
        [{"exists": False}],
        [{"exists": True}],
        [{"numeric": [">", 2]}],
        [3],
    ]
)


@st.composite
def rule_patterns(draw: st.DrawFn) -> dict[str, Any]:
    pattern: dict[str, Any] = {}
    if draw(st.booleans()):
        pattern["source"] = draw(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):
        pattern["detail-type"] = draw(
            st.lists(st.sampled_from(DETAIL_TYPES), min_size=1, max_size=2, unique=True)
        )
    detail: dict[str, Any] = {}
    for field in draw(st.lists(st.sampled_from(["market", "count"]), unique=True)):
        detail[field] = draw(leaf_conditions)
    if draw(st.booleans()):
        detail["$or"] = [{"market": draw(leaf_conditions)}, {"count": draw(leaf_conditions)}]
    if detail:
        pattern["detail"] = detail
    if draw(st.integers(0, 4)) == 0:
        pattern = {
            "$or": [pattern or {"source": ["vcn.config"]}, {"source": [draw(st.sampled_from(SOURCES))]}]
        }
    return pattern or {"source": [draw(st.sampled_from(SOURCES))]}


@st.composite
def bus_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        event["source"] = draw(st.sampled_from([*SOURCES, "other"]))
    if draw(st.integers(0, 9)):
        event["detail-type"] = draw(st.sampled_from([*DETAIL_TYPES, "Other"]))
    detail: dict[str, Any] = {}
    if draw(st.booleans()):
        detail["market"] = draw(
            st.one_of(st.sampled_from(MARKETS), st.lists(st.sampled_from(MARKETS), max_size=2))
        )
    if draw(st.booleans()):
        detail["count"] = draw(st.integers(0, 5))
    event["detail"] = detail
    return event


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(rule_patterns(), min_size=1, max_size=25),
    st.lists(bus_events(), min_size=1, max_size=10),
    st.lists(st.integers(0, 24), max_size=5),
)
def test_rule_index_matches_exactly_what_brute_force_evaluation_matches(
    patterns: list[dict[str, Any]], sample_events: list[dict[str, Any]], removed: list[int]
) -> None:
    index = RuleIndex()
    rules: dict[str, EventPattern] = {}
    for number, pattern in enumerate(patterns):
        compiled = compile_any(pattern)
        rules[f"rule-{number}"] = compiled
        index.add(f"rule-{number}", compiled)
    for number in removed:
        rules.pop(f"rule-{number}", None)
        index.remove(f"rule-{number}")
    for event in sample_events:
        whole = flatten_event(event)  # every leaf, not only the paths the patterns name
        assert index.match(event) == [key for key, pattern in rules.items() if pattern.matches_flat(whole)]
