"""History positions, cursors, selectors and request parsing: pure logic, no store."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vehicle_config.fields import InvalidFields
from vehicle_config.history.positions import Position, key_range, parse_cursor
from vehicle_config.history.reading import DEFAULT_LIMIT, parse_limit, parse_query
from vehicle_config.history.selectors import ChannelSelector, channel_prefixes, parse_selector

EVENT_IDS = st.text(alphabet="abcXYZ019._:-", min_size=1, max_size=40)
POSITIONS = st.builds(Position, st.integers(min_value=0, max_value=10**16 - 1), EVENT_IDS)


@given(POSITIONS, POSITIONS)
def test_position_keys_sort_as_positions_do(a: Position, b: Position) -> None:
    assert (a.key < b.key) == (a < b)


@given(POSITIONS)
def test_a_cursor_names_the_position_it_was_made_from(position: Position) -> None:
    assert parse_cursor("after", position.cursor) == position
    assert Position.from_key(position.key) == position


@given(POSITIONS, POSITIONS)
def test_a_range_after_a_position_holds_exactly_the_later_positions(after: Position, other: Position) -> None:
    keys = key_range(after, since_micros=0, through_micros=10**16 - 1)
    assert (keys.lower <= other.key <= keys.upper) == (other > after)


def test_a_range_keeps_to_its_time_bounds() -> None:
    keys = key_range(None, since_micros=100, through_micros=200)
    inside = [Position(100, "a"), Position(150, "-"), Position(200, "zzz")]
    outside = [Position(99, "zzz"), Position(201, "-")]
    assert all(keys.lower <= p.key <= keys.upper for p in inside)
    assert not any(keys.lower <= p.key <= keys.upper for p in outside)
    assert key_range(Position(300, "a"), since_micros=0, through_micros=200).empty


def test_an_edited_cursor_is_refused() -> None:
    cursor = Position(1_795_000_000_000_000, "3f1e2d4c-5b6a-4978").cursor
    decoded = base64.urlsafe_b64decode(cursor + "==").decode()
    forged = base64.urlsafe_b64encode(decoded.replace("1795", "1796").encode()).decode().rstrip("=")
    for bad in (forged, cursor[:-4], cursor + "A", "", "!!!!", "x" * 500):
        with pytest.raises(InvalidFields) as invalid:
            parse_cursor("after", bad)
        assert invalid.value.errors[0].field == "after"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/markets/DE/VELA", ChannelSelector("/markets/DE/VELA", False)),
        ("markets/DE/VELA", ChannelSelector("/markets/DE/VELA", False)),
        ("/markets/DE/*", ChannelSelector("/markets/DE", True)),
        ("/markets/*", ChannelSelector("/markets", True)),
        ("/a/b/c/d/*", ChannelSelector("/a/b/c/d", True)),
    ],
)
def test_selectors_name_a_channel_or_the_channels_below_a_prefix(raw: str, expected: ChannelSelector) -> None:
    assert parse_selector("channel", raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "/", "/*", "/markets/*/VELA", "/a/b/c/d/e/*", "/a/b/c/d/e/f", "/markets/-DE", "/m/DE/"]
)
def test_malformed_selectors_are_refused_naming_the_parameter(raw: str | None) -> None:
    with pytest.raises(InvalidFields) as invalid:
        parse_selector("channel", raw)
    assert invalid.value.errors[0].field == "channel"


def test_a_channel_is_indexed_under_its_proper_prefixes() -> None:
    assert channel_prefixes("/markets/DE/VELA") == ("/markets", "/markets/DE")
    assert channel_prefixes("/users/analyst-de") == ("/users",)
    assert channel_prefixes("/a/b/c/d/e") == ("/a", "/a/b", "/a/b/c", "/a/b/c/d")


@pytest.mark.parametrize(("raw", "expected"), [(None, DEFAULT_LIMIT), ("1", 1), ("100", 100), ("007", 7)])
def test_limits_from_one_to_one_hundred(raw: str | None, expected: int) -> None:
    assert parse_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "101", "", "x", "1e2", "٣", " 5", "-1"])
def test_other_limits_are_refused(raw: str) -> None:
    with pytest.raises(InvalidFields, match="limit"):
        parse_limit(raw)


def test_every_bad_parameter_is_reported_at_once() -> None:
    with pytest.raises(InvalidFields) as invalid:
        parse_query("/markets/*/x", "nope", "0")
    assert [e.field for e in invalid.value.errors] == ["channel", "after", "limit"]


def test_the_history_logic_imports_no_aws_sdk() -> None:
    # In a fresh interpreter where importing boto3 or botocore fails, every history module still loads.
    code = (
        "import sys; sys.modules['boto3'] = None; sys.modules['botocore'] = None\n"
        "import pkgutil, importlib, vehicle_config.history as h\n"
        "for m in pkgutil.iter_modules(h.__path__):\n"
        "    importlib.import_module(f'vehicle_config.history.{m.name}')\n"
    )
    functions = Path(__file__).resolve().parents[2] / "functions"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=functions, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
