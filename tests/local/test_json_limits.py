"""`vcn.json_limits.loads`: JSON from clients with bounded nesting, finite numbers and UTF-8 only."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vcn.json_limits import MAX_DEPTH, JsonRefused, loads, nesting_depth_exceeds


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_limit_parses_and_one_more_level_is_refused() -> None:
    assert loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(JsonRefused, match=f"JSON nests deeper than {MAX_DEPTH} levels; flatten it"):
        loads(nested(MAX_DEPTH + 1))


def test_a_hundred_thousand_open_brackets_are_refused_not_a_recursion_error() -> None:
    for text in ("[" * 100_000, '{"a":' * 100_000, '{"a":[' * 50_000 + "1"):
        with pytest.raises(JsonRefused, match="nests deeper"):
            loads(text)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"a": "[" * 10_000, "b": '\\"[{' * 1_000})
    assert loads(text) == json.loads(text)


def test_objects_count_like_arrays() -> None:
    deep = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    assert nesting_depth_exceeds(deep, MAX_DEPTH)
    assert not nesting_depth_exceeds(deep, MAX_DEPTH + 1)


def test_wide_documents_with_many_brackets_are_not_deep() -> None:
    wide = json.dumps([[i] for i in range(MAX_DEPTH * 4)])
    assert loads(wide)[-1] == [MAX_DEPTH * 4 - 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a":NaN}', "NaN is not a JSON value; send a finite number or null"),
        ("[Infinity]", "Infinity is not a JSON value"),
        ("-Infinity", "-Infinity is not a JSON value"),
        ("1e400", "the number 1e400 is out of range; JSON numbers must fit a double"),
        ("[-1e999]", "the number -1e999 is out of range"),
    ],
)
def test_non_finite_numbers_are_refused(text: str, message: str) -> None:
    with pytest.raises(JsonRefused, match=message):
        loads(text)


def test_invalid_json_and_invalid_utf8_say_where() -> None:
    with pytest.raises(JsonRefused, match=r"not valid JSON: Expecting value at line 1 column 7"):
        loads('{"a": }')
    with pytest.raises(JsonRefused, match=r"the body is not UTF-8 \(invalid byte at offset 6\)"):
        loads(b'{"a":"\xff"}')


def test_an_integer_python_cannot_convert_is_refused_as_unusable() -> None:
    with pytest.raises(JsonRefused, match="not a usable JSON value"):
        loads("9" * 5_000)


def test_refusal_is_a_value_error_for_callers_that_catch_those() -> None:
    assert issubclass(JsonRefused, ValueError)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values)
def test_every_finite_json_value_round_trips_like_the_standard_parser(value: object) -> None:
    text = json.dumps(value)
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


@given(st.text(alphabet='[]{}":,1a\\ ', max_size=2_000))
def test_any_text_is_parsed_or_refused_never_crashes(text: str) -> None:
    with contextlib.suppress(JsonRefused):
        loads(text)
