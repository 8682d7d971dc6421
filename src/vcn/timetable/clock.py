"""The clock schedules run on: the system clock, or one that runs N times faster
(`vcn local up --time-scale N`) so a test sees a minute's schedule fire in a second.

A clock tells the time in epoch seconds and sleeps until a moment of its own time. Sleeps are taken in short
real-time naps and the time is read again after each, so a suspended laptop or an adjusted system clock
delays a tick by one nap at most.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Protocol

# Longest real-time sleep before the clock is read again.
MAX_NAP_SECONDS = 30.0


class Clock(Protocol):
    def now(self) -> float:
        """The time on this clock, in epoch seconds."""
        ...

    async def sleep_until(self, moment: float) -> None:
        """Return once `now()` has reached `moment` (at once when it has already)."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, moment: float) -> None:
        while (left := moment - time.time()) > 0:
            await asyncio.sleep(min(left, MAX_NAP_SECONDS))


class ScaledClock:
    """Starts at the wall-clock time of its creation and then runs `scale` times as fast."""

    def __init__(self, scale: float) -> None:
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"a time scale must be a positive number, got {scale!r}")
        self.scale = scale
        self._wall_origin = time.time()
        self._origin = time.monotonic()

    def now(self) -> float:
        return self._wall_origin + (time.monotonic() - self._origin) * self.scale

    async def sleep_until(self, moment: float) -> None:
        while (left := moment - self.now()) > 0:
            await asyncio.sleep(min(left / self.scale, MAX_NAP_SECONDS))


def clock_for(time_scale: float) -> Clock:
    """The system clock at scale 1, a faster one otherwise."""
    return SystemClock() if time_scale == 1 else ScaledClock(time_scale)
