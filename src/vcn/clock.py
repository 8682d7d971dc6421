"""The local cloud's clock: wall-clock time that may run faster than real time (`vcn local up --time-scale
N`), so that schedules of minutes fire, and CloudWatch periods of minutes pass, in seconds.

Cloud time starts equal to the wall clock and then advances `scale` cloud seconds per real second. What keeps
time on it (scheduled rules, EventBridge Scheduler, CloudWatch's periods and alarm evaluations) runs `scale`
times faster; what does not (delivery retries, timeouts) keeps real time. Sleeps are taken in short real-time
naps and the time is read again after each, so a suspended laptop or an adjusted system clock delays a wake-up
by one nap at most.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Protocol

# Longest real-time sleep before the clock is read again.
MAX_NAP_SECONDS = 30.0


class Clock(Protocol):
    """Cloud time in epoch seconds; how long real waits are; sleeping until a moment of cloud time."""

    def now(self) -> float:
        """Cloud time now, in epoch seconds."""
        ...

    def from_wall(self, epoch_seconds: float) -> float:
        """The cloud time of a wall-clock instant (e.g. a timestamp a function wrote in its log)."""
        ...

    def real_seconds(self, cloud_seconds: float) -> float:
        """How many real seconds `cloud_seconds` of cloud time take."""
        ...

    async def sleep_until(self, moment: float) -> None:
        """Return once `now()` has reached `moment` (at once when it has already)."""
        ...


class SystemClock:
    """Wall-clock time itself (scale 1): a suspended machine's schedules catch up with the wall clock."""

    scale = 1.0

    def now(self) -> float:
        return time.time()

    def from_wall(self, epoch_seconds: float) -> float:
        return epoch_seconds

    def real_seconds(self, cloud_seconds: float) -> float:
        return cloud_seconds

    async def sleep_until(self, moment: float) -> None:
        while (left := moment - time.time()) > 0:
            await asyncio.sleep(min(left, MAX_NAP_SECONDS))


class ScaledClock:
    """`scale` cloud seconds per real second, anchored at the wall clock when it was made."""

    def __init__(
        self,
        scale: float = 1.0,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"the time scale must be a positive number (got {scale!r}); 1 is real time")
        self.scale = float(scale)
        self._monotonic = monotonic
        self._origin_wall = wall()
        self._origin_monotonic = monotonic()

    def now(self) -> float:
        # Monotonic underneath: a wall-clock step (NTP) does not make cloud time jump or run backwards.
        return self._origin_wall + (self._monotonic() - self._origin_monotonic) * self.scale

    def from_wall(self, epoch_seconds: float) -> float:
        return self._origin_wall + (epoch_seconds - self._origin_wall) * self.scale

    def real_seconds(self, cloud_seconds: float) -> float:
        return cloud_seconds / self.scale

    async def sleep_until(self, moment: float) -> None:
        while (left := moment - self.now()) > 0:
            await asyncio.sleep(min(left / self.scale, MAX_NAP_SECONDS))


def clock_for(time_scale: float) -> Clock:
    """The system clock at scale 1, a faster one otherwise."""
    return SystemClock() if time_scale == 1 else ScaledClock(time_scale)
