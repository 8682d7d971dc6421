"""The timetable fires each planned schedule on its ticks, once each, and keeps that promise across restarts:
rates stay on their grid, a fired tick does not fire again, a one-time schedule that fired is done."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from tests.support.clock import ManualClock
from vcn.timetable import TickMemory, Timetable, parse_schedule

START = "2025-03-01T13:00:20+00:00"


def stamp(tick: float) -> str:
    return datetime.fromtimestamp(tick, UTC).strftime("%H:%M:%S")


class Recorder:
    def __init__(self) -> None:
        self.ticks: list[str] = []

    def __call__(self, tick: float) -> None:
        self.ticks.append(stamp(tick))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


async def advance(clock: ManualClock, seconds: float, step: float = 10) -> None:
    moved = 0.0
    while moved < seconds:
        clock.advance(step)
        moved += step
        await settle()


# key -> (schedule expression, what its ticks call)
Plans = Mapping[str, tuple[str, Callable[[float], None]]]


def run_for(clock: ManualClock, memory_file: Path | None, plans: Plans, seconds: float) -> None:
    """Start a timetable remembering its ticks in `memory_file` (None: nowhere) with `plans` (key: expression,
    callback), let `seconds` pass in ten-second steps, stop it."""

    async def scenario() -> None:
        timetable = Timetable(clock, TickMemory(memory_file), name="test")
        for key, (expression, fire) in plans.items():
            timetable.plan(key, parse_schedule(expression), fire)
        timetable.start()
        await advance(clock, seconds)
        await timetable.stop()

    run(scenario)


def test_each_tick_fires_once_in_order(tmp_path: Path) -> None:
    every_minute, quarter = Recorder(), Recorder()
    plans: Plans = {"a": ("cron(* * * * ? *)", every_minute), "b": ("cron(0/15 * * * ? *)", quarter)}
    run_for(ManualClock(START), tmp_path / "ticks.json", plans, 16 * 60)
    assert every_minute.ticks == [f"13:{minute:02d}:00" for minute in range(1, 17)]
    assert quarter.ticks == ["13:15:00"]


def test_ticks_missed_by_a_busy_loop_fire_late_rather_than_never(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = ManualClock(START)
        timetable = Timetable(clock, TickMemory(None), name="test")
        fired = Recorder()
        timetable.plan("a", parse_schedule("rate(1 minute)"), fired)
        timetable.start()
        await settle()
        clock.advance(5 * 60)  # one jump: five ticks are due at once
        await settle()
        await timetable.stop()
        assert fired.ticks == ["13:01:20", "13:02:20", "13:03:20", "13:04:20", "13:05:20"]

    run(scenario)


def test_a_restart_keeps_the_rate_grid_and_does_not_fire_a_tick_twice(tmp_path: Path) -> None:
    memory_file = tmp_path / "ticks.json"
    clock = ManualClock(START)
    first, second = Recorder(), Recorder()
    run_for(clock, memory_file, {"a": ("rate(5 minutes)", first)}, 5 * 60)  # 13:05:20 fires
    # Restarted at once, the clock a little behind the tick already fired (it was sped up, say).
    clock.advance(-5)
    run_for(clock, memory_file, {"a": ("rate(5 minutes)", second)}, 11 * 60)
    assert first.ticks == ["13:05:20"]
    assert second.ticks == ["13:10:20", "13:15:20"]  # same grid; 13:05:20 not again
    assert json.loads(memory_file.read_text())["schedules"]["a"]["expression"] == "rate(5 minutes)"


def test_ticks_that_fell_while_stopped_are_skipped(tmp_path: Path) -> None:
    memory_file = tmp_path / "ticks.json"
    clock = ManualClock(START)
    fired = Recorder()
    run_for(clock, memory_file, {"a": ("rate(1 minute)", fired)}, 60)
    clock.advance(10 * 60)  # stopped for ten minutes
    run_for(clock, memory_file, {"a": ("rate(1 minute)", fired)}, 60)
    assert fired.ticks == ["13:01:20", "13:12:20"]


def test_a_one_time_schedule_fires_once_across_restarts(tmp_path: Path) -> None:
    memory_file = tmp_path / "ticks.json"
    clock = ManualClock(START)
    fired = Recorder()
    once = parse_schedule("at(2025-03-01T13:02:00)", allow_at=True)

    async def start_and_run() -> None:
        timetable = Timetable(clock, TickMemory(memory_file), name="test")
        timetable.plan("once", once, fired)
        timetable.start()
        await advance(clock, 3 * 60)
        assert "once" not in timetable.planned()
        await timetable.stop()

    run(start_and_run)
    clock.advance(-5 * 60)  # even with the clock back before its time
    run(start_and_run)
    assert fired.ticks == ["13:02:00"]


def test_a_changed_expression_starts_afresh_and_cancel_stops_firing(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = ManualClock(START)
        memory = TickMemory(tmp_path / "ticks.json")
        timetable = Timetable(clock, memory, name="test")
        fired = Recorder()
        timetable.plan("a", parse_schedule("rate(10 minutes)"), fired)
        timetable.start()
        await advance(clock, 2 * 60)
        timetable.plan("a", parse_schedule("rate(1 minute)"), fired)  # anchored at 13:02:20 now
        await advance(clock, 2 * 60)
        timetable.cancel("a", forget=False)
        await advance(clock, 5 * 60)
        assert fired.ticks == ["13:03:20", "13:04:20"]
        assert memory.keys() == ["a"]
        timetable.cancel("a", forget=True)
        assert memory.keys() == []
        await timetable.stop()

    run(scenario)


def test_a_failing_callback_does_not_stop_the_others(tmp_path: Path) -> None:
    fired = Recorder()

    def broken(_: float) -> None:
        raise RuntimeError("boom")

    plans: Plans = {"broken": ("rate(1 minute)", broken), "fine": ("rate(1 minute)", fired)}
    run_for(ManualClock(START), None, plans, 2 * 60)
    assert fired.ticks == ["13:01:20", "13:02:20"]


def test_an_unreadable_memory_is_kept_aside(tmp_path: Path) -> None:
    memory_file = tmp_path / "ticks.json"
    memory_file.write_text("{not json")
    assert TickMemory(memory_file).keys() == []
    assert [p.name.startswith("ticks.json.unreadable-") for p in tmp_path.iterdir()] == [True]
