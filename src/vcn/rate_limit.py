"""A token bucket: `rate` tokens a second, a burst of `capacity`; callers wait for a token or are refused.

EventBridge delays API destination invocations over their rate (`acquire`); AppSync Events refuses publishes
over a connection's rate (`try_acquire`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """Starts full and refills at `rate` per second; the default burst is one second's worth, at least 1."""

    def __init__(
        self, rate: float, capacity: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate) if capacity is None else float(capacity)
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_acquire(self) -> bool:
        """Take a token if one is there now; False, taking nothing, when the caller is over the rate."""
        self._refill()
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    async def acquire(self) -> bool:
        """Wait for a token; True when the caller had to wait (it was throttled)."""
        self._refill()
        # Reserving ahead (tokens may go negative) keeps waiters in arrival order without a queue.
        self._tokens -= 1.0
        if self._tokens >= 0.0:
            return False
        await asyncio.sleep(-self._tokens / self.rate)
        return True
