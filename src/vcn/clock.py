"""The local cloud's clock: wall-clock time that may run faster than real time, so periods of minutes pass in
seconds (`vcn local up --time-scale N`).

Cloud time starts equal to the wall clock when the clock is made and then advances `scale` cloud seconds per
real second. What keeps time on it (CloudWatch's metric periods and alarm evaluations) runs `scale` times
faster; what does not (delivery retries, timeouts, schedules of other services) keeps real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Cloud time in epoch seconds, and how long real waits are."""

    def now(self) -> float:
        """Cloud time now, in epoch seconds."""
        ...

    def from_wall(self, epoch_seconds: float) -> float:
        """The cloud time of a wall-clock instant (e.g. a timestamp a function wrote in its log)."""
        ...

    def real_seconds(self, cloud_seconds: float) -> float:
        """How many real seconds `cloud_seconds` of cloud time take."""
        ...


class ScaledClock:
    """`scale` cloud seconds per real second, anchored at the wall clock when it was made."""

    def __init__(
        self,
        scale: float = 1.0,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not scale > 0:
            raise ValueError(f"the time scale must be a positive number (got {scale}); 1 is real time")
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
