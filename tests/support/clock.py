"""`ManualClock`: a clock that moves only when a test advances it (the timetable's injectable clock)."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime


class ManualClock:
    """Stands still until `advance()`; sleepers wake (on their own loops) once it has passed their moment.
    `advance` may be called from any thread."""

    def __init__(self, start: float | str) -> None:
        self._now = datetime.fromisoformat(start).timestamp() if isinstance(start, str) else float(start)
        self._lock = threading.Lock()
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

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

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            ready = [future for moment, future in self._sleepers if moment <= self._now]
        for future in ready:
            future.get_loop().call_soon_threadsafe(_wake, future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
