"""The local cloud's clock: wall-clock time that may run faster, so alarm periods pass in seconds."""

from __future__ import annotations

import pytest

from tests.support.clock import NEW_YEAR_2026, ManualReading
from vcn.clock import ScaledClock

WALL = NEW_YEAR_2026


def test_a_scaled_clock_starts_at_the_wall_clock_and_runs_faster() -> None:
    monotonic = ManualReading()
    clock = ScaledClock(60.0, wall=lambda: WALL, monotonic=monotonic)
    assert clock.now() == WALL
    monotonic.value += 2.0
    assert clock.now() == WALL + 120.0
    assert clock.real_seconds(300) == 5.0
    assert clock.from_wall(WALL + 1.5) == WALL + 90.0


def test_real_time_is_scale_one() -> None:
    monotonic = ManualReading()
    clock = ScaledClock(wall=lambda: WALL, monotonic=monotonic)
    monotonic.value += 7.0
    assert clock.now() == WALL + 7.0 and clock.real_seconds(60) == 60


@pytest.mark.parametrize("scale", [0, -1, float("nan")])
def test_a_scale_must_be_positive(scale: float) -> None:
    with pytest.raises(ValueError, match="the time scale must be a positive number"):
        ScaledClock(scale)
