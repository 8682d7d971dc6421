"""Pattern semantics from the spec's "Event patterns" section: exact values and every operator row."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vcn.eventbridge.patterns import compile_pattern


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return compile_pattern(json.dumps(pattern)).matches(event)


def detail(field: Any) -> dict[str, Any]:
    return {"source": "vcn.test", "detail-type": "Tested", "detail": {"f": field}}


def on_f(*values: Any) -> dict[str, Any]:
    return {"detail": {"f": list(values)}}


MISSING = object()


def event_with(value: Any) -> dict[str, Any]:
    if value is MISSING:
        return {"source": "vcn.test", "detail": {"other": 1}}
    return detail(value)


CASES: list[tuple[str, list[Any], Any, bool]] = [
    # exact values
    ("string exact", ["Running"], "Running", True),
    ("string is byte for byte", ["Running"], "running", False),
    ("string with trailing space differs", ["a"], "a ", False),
    ("null matches null", [None], None, True),
    ("null does not match empty string", [None], "", False),
    ("null does not match missing field", [None], MISSING, False),
    ("empty string matches empty string", [""], "", True),
    ("empty string does not match null", [""], None, False),
    ("true matches true", [True], True, True),
    ("true does not match 1", [True], 1, False),
    ("1 does not match true", [1], True, False),
    ("false does not match 0", [False], 0, False),
    ("false does not match the string false", [False], "false", False),
    ("integer matches float of same value", [300], 300.0, True),
    ("float pattern matches integer event", [300.0], 300, True),
    ("exponent form compares numerically", [3e2], 300, True),
    ("string 300 matches no number", ["300"], 300, False),
    ("number matches no string", [300], "300", False),
    ("numbers compare as float64", [9007199254740993], 9007199254740992, True),
    ("different numbers differ", [300], 301, False),
    ("several values are ORed", ["a", "b"], "b", True),
    ("prefix on a string holding JSON", [{"prefix": "{"}], '{"a": 1}', True),
    # prefix
    ("prefix matches start", [{"prefix": "us-"}], "us-east-1", True),
    ("prefix is case sensitive", [{"prefix": "us-"}], "US-east-1", False),
    ("prefix does not match elsewhere", [{"prefix": "east"}], "us-east-1", False),
    ("prefix matches strings only", [{"prefix": "1"}], 123, False),
    ("empty prefix matches any string", [{"prefix": ""}], "anything", True),
    ("empty prefix matches empty string", [{"prefix": ""}], "", True),
    ("empty prefix does not match null", [{"prefix": ""}], None, False),
    ("empty prefix does not match a number", [{"prefix": ""}], 5, False),
    ("prefix ignore case", [{"prefix": {"equals-ignore-case": "US-"}}], "us-west-2", True),
    ("prefix ignore case still a prefix", [{"prefix": {"equals-ignore-case": "west"}}], "us-west-2", False),
    # suffix
    ("suffix matches end", [{"suffix": ".png"}], "image.png", True),
    ("suffix is case sensitive", [{"suffix": ".png"}], "image.PNG", False),
    ("suffix matches strings only", [{"suffix": "5"}], 5, False),
    ("empty suffix matches any string", [{"suffix": ""}], "x", True),
    ("suffix ignore case", [{"suffix": {"equals-ignore-case": ".PNG"}}], "image.png", True),
    ("suffix ignore case mismatch", [{"suffix": {"equals-ignore-case": ".png"}}], "image.jpg", False),
    # equals-ignore-case
    ("equals-ignore-case matches other case", [{"equals-ignore-case": "alice"}], "ALICE", True),
    ("equals-ignore-case whole string", [{"equals-ignore-case": "alice"}], "alice2", False),
    ("equals-ignore-case strings only", [{"equals-ignore-case": "true"}], True, False),
    # anything-but, scalar and lists
    ("anything-but string excludes it", [{"anything-but": "init"}], "init", False),
    ("anything-but string matches other string", [{"anything-but": "init"}], "running", True),
    ("anything-but string matches null", [{"anything-but": "init"}], None, True),
    ("anything-but string matches a number", [{"anything-but": "init"}], 3, True),
    ("anything-but string matches a boolean", [{"anything-but": "init"}], False, True),
    ("anything-but never matches a missing field", [{"anything-but": "init"}], MISSING, False),
    ("anything-but number excludes equal float", [{"anything-but": 5}], 5.0, False),
    ("anything-but number matches other number", [{"anything-but": 5}], 6, True),
    ("anything-but number matches the string 5", [{"anything-but": 5}], "5", True),
    ("anything-but string list", [{"anything-but": ["a", "b"]}], "b", False),
    ("anything-but string list other", [{"anything-but": ["a", "b"]}], "c", True),
    ("anything-but number list", [{"anything-but": [1, 2]}], 2, False),
    ("anything-but number list null", [{"anything-but": [1, 2]}], None, True),
    ("anything-but number list missing", [{"anything-but": [1, 2]}], MISSING, False),
    ("anything-but is case sensitive", [{"anything-but": "init"}], "INIT", True),
    # anything-but with string operators
    ("anything-but prefix excludes", [{"anything-but": {"prefix": "init"}}], "initializing", False),
    ("anything-but prefix keeps others", [{"anything-but": {"prefix": "init"}}], "running", True),
    ("anything-but prefix matches number", [{"anything-but": {"prefix": "init"}}], 1, True),
    ("anything-but prefix matches null", [{"anything-but": {"prefix": "init"}}], None, True),
    ("anything-but prefix not missing", [{"anything-but": {"prefix": "init"}}], MISSING, False),
    ("anything-but prefix list", [{"anything-but": {"prefix": ["a", "b"]}}], "bx", False),
    ("anything-but prefix list other", [{"anything-but": {"prefix": ["a", "b"]}}], "cx", True),
    ("anything-but suffix excludes", [{"anything-but": {"suffix": ".tmp"}}], "x.tmp", False),
    ("anything-but suffix keeps others", [{"anything-but": {"suffix": ".tmp"}}], "x.txt", True),
    ("anything-but suffix list", [{"anything-but": {"suffix": [".a", ".b"]}}], "x.b", False),
    ("anything-but wildcard excludes", [{"anything-but": {"wildcard": "*/lib/*"}}], "/usr/lib/x", False),
    ("anything-but wildcard keeps others", [{"anything-but": {"wildcard": "*/lib/*"}}], "/usr/bin/x", True),
    ("anything-but wildcard number", [{"anything-but": {"wildcard": "*"}}], 7, True),
    ("anything-but wildcard list", [{"anything-but": {"wildcard": ["a*", "*z"]}}], "xyz", False),
    ("anything-but equals-ignore-case", [{"anything-but": {"equals-ignore-case": "Init"}}], "INIT", False),
    ("anything-but equals-ignore-case other", [{"anything-but": {"equals-ignore-case": "Init"}}], "x", True),
    (
        "anything-but equals-ignore-case list",
        [{"anything-but": {"equals-ignore-case": ["a", "B"]}}],
        "b",
        False,
    ),
    ("anything-but equals-ignore-case null", [{"anything-but": {"equals-ignore-case": "a"}}], None, True),
    # numeric
    ("numeric range inside", [{"numeric": [">", 0, "<=", 5]}], 5, True),
    ("numeric range lower bound open", [{"numeric": [">", 0, "<=", 5]}], 0, False),
    ("numeric range upper bound", [{"numeric": [">", 0, "<=", 5]}], 5.0000001, False),
    ("numeric equals", [{"numeric": ["=", 300]}], 300.0, True),
    ("numeric equals other", [{"numeric": ["=", 300]}], 300.5, False),
    ("numeric less than", [{"numeric": ["<", 10]}], -1e9, True),
    ("numeric less than boundary", [{"numeric": ["<", 10]}], 10, False),
    ("numeric less or equal boundary", [{"numeric": ["<=", 10]}], 10, True),
    ("numeric greater or equal", [{"numeric": [">=", 1.5]}], 1.5, True),
    ("numeric greater than boundary", [{"numeric": [">", 1.5]}], 1.5, False),
    ("numeric matches JSON numbers only", [{"numeric": [">", 0]}], "5", False),
    ("numeric does not match booleans", [{"numeric": [">", 0]}], True, False),
    ("numeric does not match null", [{"numeric": [">", 0]}], None, False),
    ("numeric negative range", [{"numeric": [">=", -10, "<", -5]}], -7, True),
    # cidr
    ("cidr ipv4 inside", [{"cidr": "10.0.0.0/24"}], "10.0.0.255", True),
    ("cidr ipv4 outside", [{"cidr": "10.0.0.0/24"}], "10.0.1.0", False),
    ("cidr /32 single host", [{"cidr": "192.168.1.7/32"}], "192.168.1.7", True),
    ("cidr /0 matches every ipv4", [{"cidr": "0.0.0.0/0"}], "8.8.8.8", True),
    ("cidr ipv6 inside", [{"cidr": "2001:db8::/32"}], "2001:db8:1234::1", True),
    ("cidr ipv6 outside", [{"cidr": "2001:db8::/32"}], "2001:db9::1", False),
    ("cidr ipv6 does not match ipv4", [{"cidr": "::/0"}], "10.0.0.1", False),
    ("cidr needs an address string", [{"cidr": "10.0.0.0/8"}], "not-an-ip", False),
    ("cidr does not match numbers", [{"cidr": "10.0.0.0/8"}], 10, False),
    # exists
    ("exists true on a value", [{"exists": True}], "x", True),
    ("exists true on null", [{"exists": True}], None, True),
    ("exists true on missing", [{"exists": True}], MISSING, False),
    ("exists false on missing", [{"exists": False}], MISSING, True),
    ("exists false on a value", [{"exists": False}], "x", False),
    ("exists true does not match an empty array", [{"exists": True}], [], False),
    ("exists false matches an empty array", [{"exists": False}], [], True),
    ("null does not match an empty array", [None], [], False),
    ("exists true is for leaves, not objects", [{"exists": True}], {"inner": 1}, False),
    # wildcard
    ("wildcard star in middle", [{"wildcard": "a*b"}], "axxb", True),
    ("wildcard star matches zero characters", [{"wildcard": "a*b"}], "ab", True),
    ("wildcard anchored at both ends", [{"wildcard": "a*b"}], "xab", False),
    ("wildcard several stars", [{"wildcard": "arn:*:s3:::*/*.png"}], "arn:aws:s3:::b/k/x.png", True),
    ("wildcard several stars mismatch", [{"wildcard": "arn:*:s3:::*/*.png"}], "arn:aws:s3:::b.png", False),
    ("wildcard without star is exact", [{"wildcard": "abc"}], "abc", True),
    ("wildcard without star exact mismatch", [{"wildcard": "abc"}], "abcd", False),
    ("wildcard lone star matches empty", [{"wildcard": "*"}], "", True),
    ("wildcard strings only", [{"wildcard": "*"}], 5, False),
    ("wildcard escaped star is literal", [{"wildcard": "a\\*b"}], "a*b", True),
    ("wildcard escaped star is not a wildcard", [{"wildcard": "a\\*b"}], "axb", False),
    ("wildcard escaped backslash", [{"wildcard": "a\\\\b"}], "a\\b", True),
    ("wildcard escaped backslash then star", [{"wildcard": "a\\\\*"}], "a\\anything", True),
    ("wildcard overlapping segments", [{"wildcard": "*ab*ab"}], "abab", True),
    ("wildcard overlapping segments need room", [{"wildcard": "ab*ab"}], "aba", False),
    # several operators in one list are ORed
    ("operators ORed: first", ["x", {"prefix": "pre"}, {"numeric": [">", 10]}], "prefix", True),
    ("operators ORed: second", ["x", {"prefix": "pre"}, {"numeric": [">", 10]}], 11, True),
    ("operators ORed: none", ["x", {"prefix": "pre"}, {"numeric": [">", 10]}], 9, False),
    ("exists false ORed with a value, absent", [{"exists": False}, "x"], MISSING, True),
    ("exists false ORed with a value, present", [{"exists": False}, "x"], "x", True),
    ("exists false ORed with a value, other", [{"exists": False}, "x"], "y", False),
]


@pytest.mark.parametrize(("values", "field", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operator_row(values: list[Any], field: Any, expected: bool) -> None:
    assert matches(on_f(*values), event_with(field)) is expected


def test_fields_are_anded_and_unnamed_event_fields_ignored() -> None:
    pattern = {"source": ["vcn.test"], "detail": {"f": ["a"], "g": [1]}}
    assert matches(pattern, {"source": "vcn.test", "extra": True, "detail": {"f": "a", "g": 1, "h": 2}})
    assert not matches(pattern, {"source": "vcn.test", "detail": {"f": "a", "g": 2}})
    assert not matches(pattern, {"source": "other", "detail": {"f": "a", "g": 1}})


def test_keys_and_operator_names_are_case_sensitive() -> None:
    assert not matches({"Source": ["a"]}, {"source": "a"})
    assert matches({"source": [{"prefix": "a"}]}, {"source": "abc"})


def test_string_holding_json_is_not_parsed_as_an_object() -> None:
    assert not matches({"detail": {"a": [1]}}, {"detail": '{"a": 1}'})


def test_duplicate_key_in_pattern_text_last_one_wins() -> None:
    pattern = compile_pattern('{"source": ["first"], "source": ["second"]}')
    assert pattern.matches({"source": "second"})
    assert not pattern.matches({"source": "first"})


def test_pattern_may_be_given_as_an_object() -> None:
    assert compile_pattern({"source": ["a"]}).matches({"source": "a"})


def test_exists_false_matches_under_a_missing_parent() -> None:
    pattern = {"detail": {"state": {"reason": [{"exists": False}]}}}
    assert matches(pattern, {"source": "x"})
    assert matches(pattern, {"detail": {"other": 1}})
    assert not matches(pattern, {"detail": {"state": {"reason": "r"}}})


def test_exists_true_does_not_match_an_intermediate_object() -> None:
    assert not matches({"detail": [{"exists": True}]}, {"detail": {"a": 1}})
    assert matches({"detail": {"a": [{"exists": True}]}}, {"detail": {"a": 1}})


def test_or_at_top_level() -> None:
    pattern = {"$or": [{"source": ["a"]}, {"detail-type": ["T"]}]}
    assert matches(pattern, {"source": "a", "detail-type": "X"})
    assert matches(pattern, {"source": "b", "detail-type": "T"})
    assert not matches(pattern, {"source": "b", "detail-type": "X"})


def test_or_nested_inside_an_object_and_combined_with_fields() -> None:
    pattern = {
        "source": ["vcn"],
        "detail": {"$or": [{"priority": ["HIGH"]}, {"amount": [{"numeric": [">", 100]}]}]},
    }
    assert matches(pattern, {"source": "vcn", "detail": {"priority": "HIGH"}})
    assert matches(pattern, {"source": "vcn", "detail": {"amount": 101}})
    assert not matches(pattern, {"source": "vcn", "detail": {"amount": 100, "priority": "LOW"}})
    assert not matches(pattern, {"source": "other", "detail": {"priority": "HIGH"}})


def test_or_nestable_inside_or() -> None:
    pattern = {"$or": [{"a": ["1"]}, {"$or": [{"b": ["2"]}, {"c": ["3"]}]}]}
    assert matches(pattern, {"c": "3"})
    assert matches(pattern, {"a": "1"})
    assert not matches(pattern, {"d": "4"})


def test_two_ors_in_one_pattern_are_anded() -> None:
    pattern = {"$or": [{"a": ["1"]}, {"b": ["1"]}], "detail": {"$or": [{"c": ["1"]}, {"d": ["1"]}]}}
    assert matches(pattern, {"b": "1", "detail": {"c": "1"}})
    assert not matches(pattern, {"b": "1", "detail": {"e": "1"}})


def test_or_with_plain_values_is_an_ordinary_field_name() -> None:
    pattern = compile_pattern('{"$or": ["a", "b"]}')
    assert pattern.matches({"$or": "b"})
    assert not pattern.matches({"$or": "c"})
