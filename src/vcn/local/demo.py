"""The demo runner: sends an app profile's demo stream to a bus at a steady pace until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from vcn.local.profile import DemoSource

log = logging.getLogger("vcn.demo")

PutEvents = Callable[[list[dict[str, Any]]], Awaitable[dict[str, Any]]]


async def run_demo(
    put_events: PutEvents,
    source: DemoSource,
    *,
    rate: float,
    stop: asyncio.Event,
    count: int | None = None,
) -> int:
    """Send `rate` batches per second until `stop` is set or `count` were sent; returns how many."""
    sent = 0
    interval = 1.0 / rate if rate > 0 else 1.0
    while not stop.is_set() and (count is None or sent < count):
        entries = source.next_batch()
        try:
            response = await put_events(entries)
        except Exception as exc:  # a demo keeps going when the bus hiccups; the log says why
            log.warning("demo: PutEvents failed: %s", exc)
        else:
            failed = int(response.get("FailedEntryCount", 0))
            if failed:
                log.warning("demo: %d of %d entries failed: %s", failed, len(entries), response["Entries"])
            log.info("demo: %s", source.describe(entries))
        sent += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    return sent
