"""Dotted keys versus nested keys, event arrays, and fields named together coming from one array element."""

from __future__ import annotations

from typing import Any

import pytest

from vcn.eventbridge.patterns import compile_pattern

NESTED_PATTERN = {"detail": {"state": {"status": ["running"]}}}
DOTTED_PATTERN = {"detail": {"state.status": ["running"]}}
FULLY_DOTTED_PATTERN = {"detail.state.status": ["running"]}
NESTED_EVENT = {"detail": {"state": {"status": "running"}}}
DOTTED_EVENT = {"detail": {"state.status": "running"}}
FULLY_DOTTED_EVENT = {"detail.state.status": "running"}


@pytest.mark.parametrize("pattern", [NESTED_PATTERN, DOTTED_PATTERN, FULLY_DOTTED_PATTERN])
@pytest.mark.parametrize("event", [NESTED_EVENT, DOTTED_EVENT, FULLY_DOTTED_EVENT])
def test_dotted_keys_match_nested_keys_and_vice_versa(pattern: dict[str, Any], event: dict[str, Any]) -> None:
    assert compile_pattern(pattern).matches(event)


@pytest.mark.parametrize("pattern", [NESTED_PATTERN, DOTTED_PATTERN, FULLY_DOTTED_PATTERN])
def test_dotted_key_still_compares_the_value(pattern: dict[str, Any]) -> None:
    assert not compile_pattern(pattern).matches({"detail": {"state.status": "stopped"}})


def test_event_array_matches_when_any_element_matches() -> None:
    pattern = compile_pattern({"resources": ["arn:b"]})
    assert pattern.matches({"resources": ["arn:a", "arn:b"]})
    assert not pattern.matches({"resources": ["arn:a", "arn:c"]})
    assert not pattern.matches({"resources": []})


def test_anything_but_on_an_array_matches_when_some_element_differs() -> None:
    pattern = compile_pattern({"tags": [{"anything-but": "x"}]})
    assert pattern.matches({"tags": ["x", "y"]})
    assert not pattern.matches({"tags": ["x", "x"]})
    assert not pattern.matches({"tags": []})


def test_numeric_on_an_array_of_numbers() -> None:
    pattern = compile_pattern({"detail": {"sizes": [{"numeric": [">", 10]}]}})
    assert pattern.matches({"detail": {"sizes": [1, 2, 30]}})
    assert not pattern.matches({"detail": {"sizes": [1, 2, 3]}})


def test_nested_arrays_are_flattened() -> None:
    assert compile_pattern({"m": [3]}).matches({"m": [[1, 2], [3]]})


ORDERS = {
    "detail": {
        "items": [
            {"sku": "A", "qty": 1, "colour": "red"},
            {"sku": "B", "qty": 5, "colour": "blue"},
        ]
    }
}


def test_array_of_objects_is_flattened() -> None:
    assert compile_pattern({"detail": {"items": {"sku": ["B"]}}}).matches(ORDERS)
    assert compile_pattern({"detail": {"items.sku": ["B"]}}).matches(ORDERS)


def test_fields_named_together_must_come_from_the_same_element() -> None:
    same = compile_pattern({"detail": {"items": {"sku": ["B"], "qty": [5]}}})
    mixed = compile_pattern({"detail": {"items": {"sku": ["A"], "qty": [5]}}})
    assert same.matches(ORDERS)
    assert not mixed.matches(ORDERS)


def test_same_element_rule_holds_for_three_fields_and_operators() -> None:
    red_and_big = compile_pattern(
        {
            "detail": {
                "items": {"colour": [{"prefix": "r"}], "qty": [{"numeric": [">", 2]}], "sku": ["A", "B"]}
            }
        }
    )
    blue_and_big = compile_pattern(
        {
            "detail": {
                "items": {"colour": [{"prefix": "b"}], "qty": [{"numeric": [">", 2]}], "sku": ["A", "B"]}
            }
        }
    )
    assert not red_and_big.matches(ORDERS)
    assert blue_and_big.matches(ORDERS)


def test_field_outside_the_array_combines_with_any_element() -> None:
    event = {"source": "shop", **ORDERS}
    assert compile_pattern({"source": ["shop"], "detail": {"items": {"sku": ["A"]}}}).matches(event)


def test_same_element_rule_applies_to_nested_arrays() -> None:
    event = {
        "groups": [
            {"name": "g1", "members": [{"id": "u1", "role": "admin"}, {"id": "u2", "role": "viewer"}]},
            {"name": "g2", "members": [{"id": "u3", "role": "admin"}]},
        ]
    }
    assert compile_pattern({"groups": {"name": ["g2"], "members": {"id": ["u3"]}}}).matches(event)
    assert not compile_pattern({"groups": {"name": ["g2"], "members": {"id": ["u1"]}}}).matches(event)
    assert compile_pattern({"groups": {"members": {"id": ["u1"], "role": ["admin"]}}}).matches(event)
    assert not compile_pattern({"groups": {"members": {"id": ["u2"], "role": ["admin"]}}}).matches(event)


def test_same_element_rule_when_values_repeat_across_elements() -> None:
    event = {"xs": [{"a": 1, "b": 1}, {"a": 2, "b": 2}, {"a": 1, "b": 2}]}
    assert compile_pattern({"xs": {"a": [1], "b": [2]}}).matches(event)
    assert not compile_pattern({"xs": {"a": [2], "b": [1]}}).matches(event)
