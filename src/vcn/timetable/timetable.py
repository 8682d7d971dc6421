"""A timetable: schedules planned under a key, each firing its callback on its ticks, on one clock.

Across restarts (the tick memory): a rate keeps counting from its anchor; a tick already fired does not fire
again, and a one-time schedule that fired is done; ticks that fell while nothing ran are not fired afterwards
(the first tick is the next one after the start). While running, every tick fires once, late rather than
never when the loop was busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vcn.clock import Clock
from vcn.timetable.expressions import Schedule
from vcn.timetable.tick_memory import TickMemory

log = logging.getLogger("vcn.timetable")

Fire = Callable[[float], None]

# A remembered tick at most this far ahead of the clock was fired just before a restart; one further ahead
# means the clock went back (e.g. the last run was sped up with --time-scale) and is ignored.
RESTART_TOLERANCE_SECONDS = 60.0


@dataclass
class _Plan:
    schedule: Schedule
    fire: Fire
    anchor: float
    next_tick: float | None


class Timetable:
    """Fires planned schedules on their ticks: `start()` in a running loop, `await stop()` at the end."""

    def __init__(self, clock: Clock, memory: TickMemory, *, name: str) -> None:
        self.clock = clock
        self.memory = memory
        self.name = name
        self._plans: dict[str, _Plan] = {}
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def plan(self, key: str, schedule: Schedule, fire: Fire) -> None:
        """Fire `fire(tick)` on every tick of `schedule` from now on (replacing what `key` had)."""
        current = self._plans.get(key)
        if current is not None and current.schedule == schedule:
            current.fire = fire
            return
        now = self.clock.now()
        remembered = self.memory.recall(key, schedule.text, now)
        last = remembered.last_tick
        if schedule.one_time and last is not None:
            self._plans.pop(key, None)  # fired before a restart: a one-time schedule is done
            return
        after = now
        if last is not None and last > now:
            if last - now <= RESTART_TOLERANCE_SECONDS:
                after = last
            else:
                log.warning(
                    "%s %s: its last tick (%.0f) is ahead of the clock (%.0f): the clock went back, e.g. the "
                    "last run had a --time-scale; counting from now",
                    self.name,
                    key,
                    last,
                    now,
                )
        self._plans[key] = _Plan(
            schedule, fire, remembered.anchor, schedule.next_tick(after, remembered.anchor)
        )
        self._changed.set()

    def cancel(self, key: str, *, forget: bool) -> None:
        """Stop firing `key`; `forget` also drops its memory (a deleted schedule, unlike a disabled one)."""
        if self._plans.pop(key, None) is not None:
            self._changed.set()
        if forget:
            self.memory.forget(key)

    def planned(self) -> dict[str, float | None]:
        """Each planned key and its next tick."""
        return {key: plan.next_tick for key, plan in self._plans.items()}

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"timetable {self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._changed.clear()
            due = min((p.next_tick for p in self._plans.values() if p.next_tick is not None), default=None)
            if due is None or due > self.clock.now():
                await self._wait(due)
                continue
            self._fire_due()

    async def _wait(self, due: float | None) -> None:
        """Until `due` on the clock, or until the plans change."""
        waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(self._changed.wait())}
        if due is not None:
            waiters.add(asyncio.ensure_future(self.clock.sleep_until(due)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def _fire_due(self) -> None:
        now = self.clock.now()
        while True:
            due = [(p.next_tick, key) for key, p in self._plans.items() if p.next_tick is not None]
            tick, key = min(due, default=(None, ""))
            if tick is None or tick > now:
                return
            plan = self._plans[key]
            # Remembered before it fires: after a crash a tick is missed rather than fired twice.
            self.memory.fired(key, tick)
            plan.next_tick = plan.schedule.next_tick(tick, plan.anchor)
            if plan.next_tick is None:
                del self._plans[key]
            try:
                plan.fire(tick)
            except Exception:
                log.exception("%s %s: firing the tick at %.0f failed", self.name, key, tick)
