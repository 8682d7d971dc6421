"""`ManualClock`: a clock that moves only when a test advances it (implements `vcn.clock.Clock`).

Cloud time stands still until `advance()`; sleepers wake (on their own loops) once it has passed their moment.
`advance` may be called from any thread. `ManualReading`: a bare seconds counter (in place of
`time.monotonic`) that moves only when a test adds to it."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime

NEW_YEAR_2026 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class ManualClock:
    def __init__(self, start: float | str = NEW_YEAR_2026) -> None:
        self._now = datetime.fromisoformat(start).timestamp() if isinstance(start, str) else float(start)
        self._lock = threading.Lock()
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    def from_wall(self, epoch_seconds: float) -> float:
        # A wall-clock instant x seconds ago happened x seconds before the clock's now.
        return self._now - (time.time() - epoch_seconds)

    def real_seconds(self, cloud_seconds: float) -> float:
        return cloud_seconds

    async def sleep_until(self, moment: float) -> None:
        future = asyncio.get_running_loop().create_future()
        with self._lock:
            if moment <= self._now:
                return
            sleeper = (moment, future)
            self._sleepers.append(sleeper)
        try:
            await future
        finally:
            with self._lock:
                if sleeper in self._sleepers:
                    self._sleepers.remove(sleeper)

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            ready = [future for moment, future in self._sleepers if moment <= self._now]
        for future in ready:
            future.get_loop().call_soon_threadsafe(_wake, future)
        return self._now


class ManualReading:
    """Seconds as `time.monotonic` gives them, standing at `value` until a test changes it."""

    def __init__(self, value: float = 100.0) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
