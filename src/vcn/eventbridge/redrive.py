"""Redrives of dead-lettered events, run in the background.

`Redrives.start` claims the messages (so no other redrive sends them) and returns at once with a
`RedriveRun`, whose id the caller follows (`GET /_vcn/dlq/redrive/<id>`, `vcn dlq redrive --wait`). Each
message gets one attempt through its rule's target as configured now, at most `REDRIVE_CONCURRENCY` at once
across all runs (each attempt may wait for the HTTP timeout). Delivered messages leave their queue; the
others go back unchanged, each failure logged with its reason.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from vcn.eventbridge.dlq import Claim, DeadLetterMessage, DeadLetterStore

log = logging.getLogger("vcn.eventbridge")

REDRIVE_CONCURRENCY = 8
KEPT_RUNS = 20  # finished runs kept for their followers, oldest forgotten first


@dataclass(frozen=True)
class RedriveOutcome:
    delivered: bool
    error: str = ""


Redeliver = Callable[[DeadLetterMessage], Awaitable[RedriveOutcome]]


@dataclass
class RedriveRun:
    redrive_id: str
    total: int
    redriven: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # Messages another redrive had already claimed or removed, and ids that name no message.
    skipped: list[str] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    async def wait(self) -> RedriveRun:
        await self.finished.wait()
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "RedriveId": self.redrive_id,
            "State": "COMPLETED" if self.done else "RUNNING",
            "Total": self.total,
            "Pending": self.total - len(self.redriven) - len(self.failed),
            "Redriven": list(self.redriven),
            "Failed": dict(self.failed),
            "Skipped": list(self.skipped),
        }


class Redrives:
    def __init__(self, store: DeadLetterStore, redeliver: Redeliver) -> None:
        self.store = store
        self.redeliver = redeliver
        self._runs: OrderedDict[str, RedriveRun] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(REDRIVE_CONCURRENCY)

    def start(self, queue: str | None = None, message_ids: Iterable[str] | None = None) -> RedriveRun:
        """Claim the messages and redrive them in the background (raises InvalidName for a bad queue)."""
        claims, skipped = self.store.claim(queue, message_ids)
        run = RedriveRun(str(uuid.uuid4()), len(claims), skipped=list(skipped))
        self._runs[run.redrive_id] = run
        self._forget_old_runs()
        if not claims:
            run.finished.set()
            return run
        log.info("redrive %s: %d message(s) claimed", run.redrive_id, len(claims))
        task = asyncio.get_running_loop().create_task(self._run(run, claims))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    def get(self, redrive_id: str) -> RedriveRun | None:
        return self._runs.get(redrive_id)

    async def close(self) -> None:
        """Stop running redrives; their unfinished messages go back to their queues."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, run: RedriveRun, claims: Iterable[Claim]) -> None:
        try:
            await asyncio.gather(*(self._redrive_one(run, claim) for claim in claims))
        finally:
            run.finished.set()
            log.info(
                "redrive %s finished: %d redriven, %d still failing, %d skipped",
                run.redrive_id,
                len(run.redriven),
                len(run.failed),
                len(run.skipped),
            )

    async def _redrive_one(self, run: RedriveRun, claim: Claim) -> None:
        message = claim.message
        settled = False
        try:
            async with self._slots:
                try:
                    outcome = await self.redeliver(message)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.exception(
                        "redrive of %s (queue %s) failed inside the local EventBridge",
                        message.message_id,
                        message.queue,
                    )
                    outcome = RedriveOutcome(False, f"{type(exc).__name__}: {exc}")
                if outcome.delivered:
                    self.store.settle(claim)
                    settled = True
                    run.redriven.append(message.message_id)
                else:
                    run.failed[message.message_id] = outcome.error
                    log.warning(
                        "redrive of %s (queue %s) failed, the message stays in its queue: %s",
                        message.message_id,
                        message.queue,
                        outcome.error,
                    )
        finally:
            if not settled:
                self.store.release(claim)

    def _forget_old_runs(self) -> None:
        while len(self._runs) > KEPT_RUNS:
            oldest = next((key for key, run in self._runs.items() if run.done), None)
            if oldest is None:
                return
            del self._runs[oldest]
