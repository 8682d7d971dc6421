"""A clock a test moves by hand (implements `vcn.clock.Clock`): cloud time stands still until `advance`."""

from __future__ import annotations

import time


class ManualClock:
    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.time = start

    def now(self) -> float:
        return self.time

    def from_wall(self, epoch_seconds: float) -> float:
        # A wall-clock instant x seconds ago happened x seconds before the clock's now.
        return self.time - (time.time() - epoch_seconds)

    def real_seconds(self, cloud_seconds: float) -> float:
        return cloud_seconds

    def advance(self, seconds: float) -> float:
        self.time += seconds
        return self.time
