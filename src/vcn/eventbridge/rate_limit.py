"""Per API destination rate limit: a token bucket that delays excess invocations and never drops them."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """`rate` invocations per second with a burst of one second's worth; callers queue by reserving tokens."""

    def __init__(self, rate: float) -> None:
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self._tokens = self.capacity
        self._updated = time.monotonic()

    async def acquire(self) -> bool:
        """Wait for a token; True when the caller had to wait (it was throttled)."""
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        # Reserving ahead (tokens may go negative) keeps waiters in arrival order without a queue.
        self._tokens -= 1.0
        if self._tokens >= 0.0:
            return False
        await asyncio.sleep(-self._tokens / self.rate)
        return True
