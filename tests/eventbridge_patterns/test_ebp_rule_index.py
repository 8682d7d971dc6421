"""RuleIndex: the answers of evaluating every pattern, in insertion order, without evaluating them all."""

from __future__ import annotations

from typing import Any

from vcn.eventbridge.patterns import EventPattern, compile_pattern
from vcn.eventbridge.rule_index import RuleIndex


def event(source: str, detail_type: str, **detail: Any) -> dict[str, Any]:
    return {"source": source, "detail-type": detail_type, "detail": detail}


class CountingPattern(EventPattern):
    """A real compiled pattern that counts how often it is evaluated."""

    __slots__ = ("evaluations",)

    def __init__(self, pattern: EventPattern) -> None:
        super().__init__(pattern.text, pattern._alternatives)
        self.evaluations = 0

    def matches_flat(self, flat: Any) -> bool:
        self.evaluations += 1
        return super().matches_flat(flat)


def test_match_returns_matching_keys_in_insertion_order() -> None:
    index = RuleIndex()
    index.add("z-last-name", compile_pattern({"source": ["vcn"]}))
    index.add("a-by-detail", compile_pattern({"detail": {"market": ["DE"]}}))
    index.add("m-by-type", compile_pattern({"source": ["vcn"], "detail-type": ["Validated"]}))
    index.add("other", compile_pattern({"source": ["other"]}))
    assert index.match(event("vcn", "Validated", market="DE")) == ["z-last-name", "a-by-detail", "m-by-type"]
    assert index.match(event("vcn", "Rejected", market="FR")) == ["z-last-name"]
    assert index.match(event("nobody", "Rejected")) == []


def test_remove_forgets_a_rule_and_unknown_keys_are_ignored() -> None:
    index = RuleIndex()
    index.add("r1", compile_pattern({"source": ["vcn"]}))
    index.add("r2", compile_pattern({"detail": {"x": [1]}}))
    index.remove("r1")
    index.remove("r2")
    index.remove("never-added")
    assert index.match(event("vcn", "T", x=1)) == []
    assert len(index) == 0


def test_adding_an_existing_key_replaces_its_pattern_and_keeps_its_position() -> None:
    index = RuleIndex()
    index.add("first", compile_pattern({"source": ["a"]}))
    index.add("second", compile_pattern({"source": ["b", "c"]}))
    index.add("first", compile_pattern({"source": ["c"]}))
    assert index.match(event("c", "T")) == ["first", "second"]
    assert index.match(event("a", "T")) == []


def test_only_candidates_sharing_source_and_detail_type_are_evaluated() -> None:
    index = RuleIndex()
    patterns: dict[str, CountingPattern] = {}
    for number in range(300):
        pattern = CountingPattern(
            compile_pattern({"source": [f"source-{number % 10}"], "detail-type": [f"Type{number}"]})
        )
        patterns[f"rule-{number}"] = pattern
        index.add(f"rule-{number}", pattern)
    detail_only = CountingPattern(compile_pattern({"detail": {"priority": [{"prefix": "HI"}]}}))
    index.add("detail-only", detail_only)
    assert index.match(event("source-7", "Type17", priority="HIGH")) == ["rule-17", "detail-only"]
    evaluated = sum(pattern.evaluations for pattern in patterns.values())
    assert evaluated == 1
    assert detail_only.evaluations == 1
    assert index.unindexed_count == 1


def test_pattern_with_or_is_indexed_under_every_alternative() -> None:
    index = RuleIndex()
    index.add(
        "either",
        compile_pattern(
            {"$or": [{"source": ["a"], "detail-type": ["X"]}, {"source": ["b"], "detail-type": ["Y"]}]}
        ),
    )
    assert index.match(event("a", "X")) == ["either"]
    assert index.match(event("b", "Y")) == ["either"]
    assert index.match(event("a", "Y")) == []


def test_index_does_not_key_on_fields_not_pinned_by_every_alternative() -> None:
    index = RuleIndex()
    index.add("partial", compile_pattern({"$or": [{"source": ["a"]}, {"detail-type": ["X"]}]}))
    assert index.match(event("z", "X")) == ["partial"]
    assert index.match(event("a", "Q")) == ["partial"]


def test_rule_pinning_only_a_detail_field_is_indexed_on_it() -> None:
    index = RuleIndex()
    pinned = CountingPattern(compile_pattern({"detail": {"market": ["DE"]}}))
    index.add("by-market", pinned)
    assert index.match(event("s", "T", market="FR")) == []
    assert pinned.evaluations == 0
    assert index.unindexed_count == 0


def test_index_handles_event_arrays_at_an_indexed_path() -> None:
    index = RuleIndex()
    index.add("r", compile_pattern({"resources": ["arn:x"], "source": ["s"]}))
    assert index.match({"source": "s", "resources": ["arn:w", "arn:x"]}) == ["r"]
    assert index.match({"source": "s", "resources": ["arn:w"]}) == []


def test_index_on_nested_exact_fields_respects_array_elements() -> None:
    index = RuleIndex()
    index.add("same-item", compile_pattern({"detail": {"items": {"sku": ["A"], "colour": ["blue"]}}}))
    mixed = {"detail": {"items": [{"sku": "A", "colour": "red"}, {"sku": "B", "colour": "blue"}]}}
    assert index.match(mixed) == []


def test_non_string_values_at_an_indexed_path_do_not_break_lookup() -> None:
    index = RuleIndex()
    index.add("r", compile_pattern({"source": ["5"]}))
    assert index.match({"source": 5}) == []
    assert index.match({"source": None}) == []
    assert index.match({"source": {"nested": "5"}}) == []


def test_index_matches_dotted_event_keys_against_nested_pattern_keys() -> None:
    index = RuleIndex()
    index.add("nested", compile_pattern({"detail": {"state": {"status": ["running"]}}, "source": ["s"]}))
    index.add("dotted", compile_pattern({"detail.state.status": [{"prefix": "run"}]}))
    assert index.match({"source": "s", "detail": {"state.status": "running"}}) == ["nested", "dotted"]
    assert index.match({"source": "s", "detail.state": {"status": "running"}}) == ["nested", "dotted"]
    assert index.match({"source": "s", "detail": {"state": {"status": "stopped"}}}) == []


def test_event_fields_no_rule_names_do_not_affect_matching() -> None:
    index = RuleIndex()
    index.add("r", compile_pattern({"detail": {"items": {"sku": ["A"]}}}))
    event = {"detail": {"items": [{"sku": "A"}], "blob": [[{"deep": [1, 2, {"x": None}]}] * 50]}}
    assert index.match(event) == ["r"]
    index.remove("r")
    assert index.match(event) == []
