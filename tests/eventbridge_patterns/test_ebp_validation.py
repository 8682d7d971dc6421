"""Every validation message the spec records from AWS, one case each, compared as exact strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vcn.eventbridge.patterns import (
    EventPatternTooLong,
    InvalidEventPattern,
    PatternLimits,
    compile_pattern,
)

PREFIX = "Event pattern is not valid. Reason: "

RECORDED: list[tuple[str, str]] = [
    ('{"int": 5}', '"int" must be an object or an array'),
    ('{"detail": {"state": "running"}}', '"state" must be an object or an array'),
    ('{"x": [{"NUMERIC": [">", 0]}]}', "Unrecognized match type NUMERIC"),
    ('{"x": [{"Prefix": "a"}]}', "Unrecognized match type Prefix"),
    ('{"x": []}', "Empty arrays are not allowed"),
    ('{"x": [{"numeric": [">", 0, ">", 5]}]}', "Bad numeric range operator: >"),
    ('{"x": [{"numeric": ["<", 5, ">", 0]}]}', "Bad numeric range operator: >"),
    ('{"x": [{"numeric": ["<", "5"]}]}', "Value of < must be numeric"),
    ('{"x": [{"numeric": [">", 0, "<", "9"]}]}', "Value of < must be numeric"),
    ('{"x": [{"numeric": ["<"]}]}', "Value of < must be numeric"),
    ('{"x": [{"numeric": ["=", true]}]}', "Value of = must be numeric"),
    ('{"x": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"x": [{"numeric": {">": 5}}]}', "Value of numeric must be an array."),
    (
        '{"x": [{"wildcard": "' + "*a" * 120 + '"}]}',
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences "
        "after a wildcard character",
    ),
    ('{"x": [{"wildcard": "abc**def"}]}', "Consecutive wildcard characters at pos 4"),
    ('{"x": [{"anything-but": {"wildcard": "a**"}}]}', "Consecutive wildcard characters at pos 2"),
    ('{"x": [{"equals-ignore-case": 5}]}', "equals-ignore-case match pattern must be a string"),
    (
        '{"x": [{"prefix": {"equals-ignore-case": null}}]}',
        "equals-ignore-case match pattern must be a string",
    ),
    (
        '{"x": [{"anything-but": {"equals-ignore-case": true}}]}',
        "equals-ignore-case match pattern must be a string",
    ),
    ('{"x": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"),
    ('{"x": [{"cidr": "10.0.0.0/8/8"}]}', "Malformed CIDR, one '/' required"),
    ('{"x": [{"cidr": "10.0.0.0/x"}]}', "Malformed CIDR, mask bits must be an integer"),
    ('{"x": [{"cidr": "xx.11.xx/24"}]}', "Nonstandard IP address: xx.11.xx"),
    ('{"x": [{"cidr": "10.0.0.256/24"}]}', "Nonstandard IP address: 10.0.0.256"),
    (
        '{"x": [{"anything-but": {"equals-ignore-case": ["a", 1]}}]}',
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ),
    (
        '{"x": [{"anything-but": {"equals-ignore-case": ["a", null]}}]}',
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ),
    (
        '{"x": [{"anything-but": ["a", null]}]}',
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    ('{"x": [{"anything-but": [true]}]}', "Inside anything but list, start|null|boolean is not supported."),
    ('{"x": [{"anything-but": [["a"]]}]}', "Inside anything but list, start|null|boolean is not supported."),
    (
        '{"x": [{"anything-but": [{"prefix": "a"}]}]}',
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    ('{"x": [{"wildcard": 5}]}', "wildcard match pattern must be a string"),
    ('{"x": [{"anything-but": {"wildcard": null}}]}', "wildcard match pattern must be a string"),
    ('{"x": [{"anything-but": {"prefix": 5}}]}', "prefix/suffix match pattern must be a string"),
    ('{"x": [{"anything-but": {"suffix": {"a": 1}}}]}', "prefix/suffix match pattern must be a string"),
    ('{"x": [{"prefix": 5}]}', "prefix match pattern must be a string"),
    ('{"x": [{"prefix": null}]}', "prefix match pattern must be a string"),
    ('{"x": [{"suffix": ["a"]}]}', "suffix match pattern must be a string"),
    (
        '{"x": [{"anything-but": true}]}',
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        '{"x": [{"anything-but": null}]}',
        "Value of anything-but must be an array or single string/number value.",
    ),
    ('{"x": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"x": [{"anything-but": {"suffix": ""}}]}', "Null prefix/suffix not allowed"),
    ('[{"source": ["a"]}]', "Filter is not an object"),
    ("5", "Filter is not an object"),
]


@pytest.mark.parametrize(("pattern", "reason"), RECORDED, ids=[r for _, r in RECORDED])
def test_recorded_validation_message(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidEventPattern) as caught:
        compile_pattern(pattern)
    assert caught.value.reason == reason
    assert str(caught.value) == PREFIX + reason


@pytest.mark.parametrize(
    "pattern",
    [
        '{"x": [[1]]}',
        '{"x": [{}]}',
        '{"x": [{"prefix": "a", "suffix": "b"}]}',
        '{"x": [{"exists": "true"}]}',
        '{"x": [{"cidr": 10}]}',
        '{"x": [{"cidr": "10.0.0.0/33"}]}',
        '{"x": [{"numeric": []}]}',
        '{"x": [{"numeric": ["!=", 5]}]}',
        '{"x": [{"numeric": ["=", 5, "<", 6]}]}',
        '{"x": [{"numeric": [">", 5, "<", 5]}]}',
        '{"x": [{"numeric": [">", 0, "<", 5, "<", 6]}]}',
        '{"x": [{"anything-but": []}]}',
        '{"x": [{"anything-but": {"numeric": [">", 1]}}]}',
        '{"x": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}',
        '{"x": [{"prefix": {"other": "a"}}]}',
        '{"x": [{"wildcard": "a\\\\b"}]}',
        '{"$or": [{"a": ["1"]}]}',
        '{"$or": [{"a": ["1"]}, "b"]}',
        '{"detail": {}}',
        "{}",
        "not json",
        '{"x": [NaN]}',
    ],
)
def test_other_invalid_patterns_are_rejected_in_aws_style(pattern: str) -> None:
    with pytest.raises(InvalidEventPattern) as caught:
        compile_pattern(pattern)
    assert str(caught.value).startswith(PREFIX)
    assert caught.value.reason


@pytest.mark.parametrize(
    ("wildcard", "position"),
    [
        ("**", 1),
        ("arn:aws:events:us-east-1:**", 26),
        ("a\\\\**", 4),  # an escaped backslash counts as the two characters it is written with
        ("\U0001f600**", 3),  # a character outside the BMP counts twice, as Java counts
    ],
)
def test_consecutive_wildcard_position_is_the_0_based_index_of_the_second_star(
    wildcard: str, position: int
) -> None:
    with pytest.raises(InvalidEventPattern) as caught:
        compile_pattern(json.dumps({"x": [{"wildcard": wildcard}]}))
    assert caught.value.reason == f"Consecutive wildcard characters at pos {position}"


def test_escaped_star_followed_by_star_is_not_consecutive_wildcards() -> None:
    assert compile_pattern('{"x": [{"wildcard": "a\\\\**"}]}').matches({"x": "a*bc"})


def test_or_with_more_than_1000_combinations_is_rejected() -> None:
    branches = [{f"f{i}": ["v"]} for i in range(11)]
    three_ors = {"$or": branches, "detail": {"$or": branches}, "d2": {"$or": branches}}
    with pytest.raises(InvalidEventPattern):
        compile_pattern(json.dumps(three_ors))  # 11 * 11 * 11 = 1331


def test_or_with_1000_combinations_is_accepted() -> None:
    branches = [{f"f{i}": ["v"]} for i in range(10)]
    pattern = compile_pattern(
        json.dumps({"$or": branches, "detail": {"$or": branches}, "d2": {"$or": branches}})
    )
    assert pattern.matches({"f3": "v", "detail": {"f9": "v"}, "d2": {"f0": "v"}})


def test_pattern_longer_than_the_limit_is_rejected() -> None:
    long_value = "v" * 4096
    with pytest.raises(EventPatternTooLong):
        compile_pattern(json.dumps({"source": [long_value]}))


def test_pattern_length_limit_is_a_setting() -> None:
    text = json.dumps({"source": ["v" * 3000]})
    assert compile_pattern(text).matches({"source": "v" * 3000})
    with pytest.raises(EventPatternTooLong):
        compile_pattern(text, limits=PatternLimits(max_length=2048))


def test_pattern_of_exactly_4096_characters_is_accepted() -> None:
    skeleton = json.dumps({"source": [""]})
    text = json.dumps({"source": ["v" * (4096 - len(skeleton))]})
    assert len(text) == 4096
    compile_pattern(text)


def test_plain_wildcards_are_not_too_complex() -> None:
    compile_pattern('{"resources": [{"wildcard": "arn:aws:s3:::bucket-*/logs/*/*.gz"}]}')


def test_error_is_raised_for_a_bad_value_nested_deep_inside_or() -> None:
    pattern: dict[str, Any] = {"$or": [{"a": ["1"]}, {"b": {"c": [{"numeric": ["<", "x"]}]}}]}
    with pytest.raises(InvalidEventPattern) as caught:
        compile_pattern(json.dumps(pattern))
    assert caught.value.reason == "Value of < must be numeric"


def wildcard_pattern(*wildcards: str) -> str:
    return json.dumps({"x": [{"wildcard": wildcard} for wildcard in wildcards]})


TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences "
    "after a wildcard character"
)


@pytest.mark.parametrize(
    ("accepted", "refused"),
    [
        ("*:" * 5, "*:" * 6),  # stars each followed by the same text
        ("arn:aws:*:" + "*:" * 4 + "x", "arn:aws:*:" + "*:" * 5 + "x"),
        ("*" + "ab" * 5, "*" + "ab" * 6),  # a sequence repeating after one star
        ("*" + "a" * 5, "*" + "a" * 6),
        ("*/x" * 5, "*/x" * 6),
    ],
)
def test_wildcard_complexity_boundary(accepted: str, refused: str) -> None:
    compile_pattern(wildcard_pattern(accepted))
    with pytest.raises(InvalidEventPattern) as caught:
        compile_pattern(wildcard_pattern(refused))
    assert caught.value.reason == TOO_COMPLEX


def test_many_stars_followed_by_different_text_are_not_too_complex() -> None:
    pattern = compile_pattern(wildcard_pattern("*a*b*c*d*e*f*g*h*i*j*"))
    assert pattern.matches({"x": "0a1b2c3d4e5f6g7h8i9j0"})


def test_wildcards_of_one_field_count_together() -> None:
    compile_pattern(wildcard_pattern(*(f"*:{letter}" for letter in "abcde")))
    with pytest.raises(InvalidEventPattern) as caught:
        compile_pattern(wildcard_pattern(*(f"*:{letter}" for letter in "abcdef")))
    assert caught.value.reason == TOO_COMPLEX
    # Other fields are counted on their own.
    five = [{"wildcard": f"*:{letter}"} for letter in "abcde"]
    compile_pattern(json.dumps({"x": five, "y": five}))


def test_wildcard_complexity_threshold_is_a_setting() -> None:
    text = wildcard_pattern("*a" * 120)
    with pytest.raises(InvalidEventPattern):
        compile_pattern(text)
    assert compile_pattern(text, limits=PatternLimits(max_wildcard_complexity=1000)).matches({"x": "a" * 130})


def test_long_wildcard_with_many_stars_is_decided() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    wildcard = "*".join(letters[i % 36] + letters[(i * 7) % 36] for i in range(1300))[:4000]
    try:
        compile_pattern(json.dumps({"x": [{"wildcard": wildcard}]}), limits=PatternLimits(max_length=5000))
    except InvalidEventPattern as error:
        assert error.reason.startswith("Rule is too complex")
