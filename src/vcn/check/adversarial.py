"""What any producer can put in an event's detail, as Hypothesis strategies: the hostile half of `vcn check`.

EventBridge accepts any JSON object as a detail, so a producer outside the application's code can send, in
place of any field: nothing at all, another JSON type, a list or an object, or a string holding what breaks
a transformer or a channel (quotes, backslashes, control characters, lone surrogates, slashes, spaces, long
and huge strings, any Unicode). An application builds its event strategies from its valid values with
`producer_details`; valid alternatives come first, so Hypothesis shrinks every field that does not matter
back to a valid value and a counterexample shows the one field that breaks the path. `hostile_replacements`
lists the same hostile values one by one, for the explicit examples every check run goes through.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from hypothesis import strategies as st

# Hypothesis strategies are generic in what they draw; the check's strategies draw JSON values.
Strategy = st.SearchStrategy[Any]


class _Missing:
    """A field the producer leaves out (dropped from the detail by `detail`)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

LONGEST_SEGMENT = 50  # AppSync Events channel segments: 1-50 characters
HUGE_CHARACTERS = 300_000  # over AppSync's 240 KB per event, under EventBridge's 1 MB per PutEvents

# Characters that end a JSON string or escape (quote, backslash, control characters), split or wildcard a
# channel path (slash, star), are no channel segment character (space, dash at an edge, accents, emoji),
# look like nothing (a line separator, a byte-order mark), or are half a UTF-16 pair (lone surrogates:
# valid in a JSON string as an escape, not encodable as UTF-8).
BREAKING_CHARACTERS: tuple[str, ...] = (
    '"',
    "\\",
    "/",
    "*",
    " ",
    "-",
    *(chr(code) for code in (*range(0x20), 0x7F)),
    "\u2028",
    "\ufeff",
    "é",
    "🚗",
    "\ud800",
    "\udfff",
)
# Whole values in place of a field, simplest first (Hypothesis shrinks towards the front): nothing, other JSON
# types, the empty string; then oversized strings, lists and objects.
SIMPLE_HOSTILE_VALUES: tuple[Any, ...] = (
    MISSING,
    None,
    True,
    0,
    -1,
    0.5,
    2**64,
    -(2**63),
    1e308,
    float("nan"),  # PutEvents refuses NaN: its producer is told, nothing is lost
    "",
)
COMPOSITE_HOSTILE_VALUES: tuple[Any, ...] = (
    "x" * (LONGEST_SEGMENT + 1),
    [],
    {},
    {"value": '"'},
    "x" * HUGE_CHARACTERS,
)
HOSTILE_VALUES = SIMPLE_HOSTILE_VALUES + COMPOSITE_HOSTILE_VALUES


def _spliced(pair: tuple[Any, str]) -> Any:
    value, breaking = pair
    if not isinstance(value, str):
        return breaking
    middle = len(value) // 2
    return value[:middle] + breaking + value[middle:]


def hostile(valid: Strategy) -> Strategy:
    """What a producer may send instead of a valid value: a breaking character alone or inside a valid
    value, a value of another type or size, a list mixing valid and breaking values, any short text."""
    breaking = st.sampled_from(BREAKING_CHARACTERS)
    return st.one_of(
        st.sampled_from(HOSTILE_VALUES),
        breaking,
        st.tuples(valid, breaking).map(_spliced),
        st.lists(st.one_of(valid, breaking), min_size=1, max_size=3),
        st.text(max_size=6),
    )


def produced(valid: Strategy) -> Strategy:
    """Anything a producer may send for a field: a valid value first (shrinking goes there), or hostile."""
    return st.one_of(valid, hostile(valid))


def producer_details(
    valid: Mapping[str, Strategy], optional: Collection[str] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """Details as any producer may send them, in three families (shrinking prefers the earlier): every field
    valid (optional ones possibly absent); one field hostile, the others valid; any field hostile."""
    names = list(valid)

    def ordinary(name: str) -> Strategy:
        return st.one_of(st.just(MISSING), valid[name]) if name in optional else valid[name]

    def one_hostile(chosen: str) -> st.SearchStrategy[dict[str, Any]]:
        return detail({name: hostile(valid[name]) if name == chosen else ordinary(name) for name in names})

    return st.one_of(
        contract_details(valid, optional),
        st.sampled_from(names).flatmap(one_hostile),
        detail({name: produced(valid[name]) for name in names}),
    )


def contract_details(
    valid: Mapping[str, Strategy], optional: Collection[str] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """Details whose every field is valid (optional ones possibly absent): what a producer that keeps the
    contract sends, and all that is drawn for a source only such producers may put."""

    def ordinary(name: str) -> Strategy:
        return st.one_of(st.just(MISSING), valid[name]) if name in optional else valid[name]

    return detail({name: ordinary(name) for name in valid})


def hostile_replacements(value: Any) -> Iterator[Any]:
    """What a producer could send instead of `value`, one by one, simplest first: nothing, another type,
    every breaking character alone and inside the value, oversized strings, lists and objects, and the value
    wrapped in a list or an object."""
    yield from SIMPLE_HOSTILE_VALUES
    for character in BREAKING_CHARACTERS:
        yield character
        if isinstance(value, str) and value:
            yield _spliced((value, character))
    yield from COMPOSITE_HOSTILE_VALUES
    yield [value]
    yield [value, '"']
    yield {"value": value}


def detail(fields: Mapping[str, Strategy]) -> st.SearchStrategy[dict[str, Any]]:
    """A detail object with one value per field; fields drawn as `MISSING` are left out."""
    return st.fixed_dictionaries(dict(fields)).map(
        lambda values: {name: value for name, value in values.items() if value is not MISSING}
    )


def boundary_integers(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in range, with the bounds themselves often."""
    return st.one_of(st.sampled_from([low, high]), st.integers(min_value=low, max_value=high))
