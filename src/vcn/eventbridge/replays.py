"""Replays: archived events sent back to their bus, minute by minute, and the replay's progress.

A replay walks its window [EventStartTime, EventEndTime) by the time in the events, one minute at a time
(empty stretches skipped), and routes each event through the bus's rules as they are now, only to the rules
in Destination.FilterArns when given. Each replayed event carries `"replay-name": "<name>"` right after
`source`, so a rule can leave replays out with `"replay-name": [{"exists": false}]`, and keeps its original
`id` and `time` (UNCONFIRMED: AWS does not document whether a replayed event keeps its id; keeping it lets
consumers that deduplicate by id see a replay of what they already received as a duplicate).

States: STARTING (accepted), RUNNING, CANCELLING (CancelReplay; honoured at the next minute), then COMPLETED,
CANCELLED or FAILED (the archive was deleted, the bus is gone, or the local cloud stopped first: a replay does
not resume after a restart, and its StateReason says from when to start a new one). EventLastReplayedTime is
the time of the last event replayed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vcn import arns
from vcn.eventbridge.archive_store import ArchiveStore
from vcn.eventbridge.archives import REPLAY_NAME, Archive
from vcn.eventbridge.described import set_members

log = logging.getLogger("vcn.eventbridge")

STARTING = "STARTING"
RUNNING = "RUNNING"
CANCELLING = "CANCELLING"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"
FAILED = "FAILED"
ACTIVE = frozenset({STARTING, RUNNING, CANCELLING})
MINUTE = 60.0
# A replay waits while this many deliveries are pending, so a large archive does not flood memory.
MAX_PENDING_DELIVERIES = 2000

# Routes one replayed event to the rules of a bus (only to `rule_arns` when not empty); False: no such bus.
ReplayRoute = Callable[[str, dict[str, Any], frozenset[str]], bool]


@dataclass
class Replay:
    name: str
    arn: str
    description: str | None
    archive_arn: str
    archive_name: str
    event_start: float
    event_end: float
    destination: dict[str, Any]  # Destination as StartReplay received it
    state: str = STARTING
    state_reason: str | None = None
    replay_start: float = field(default_factory=time.time)
    replay_end: float | None = None
    last_replayed: float | None = None

    @property
    def bus_name(self) -> str:
        return arns.bus_name(str(self.destination["Arn"]))

    @property
    def rule_arns(self) -> frozenset[str]:
        return frozenset(self.destination.get("FilterArns") or ())

    def finish(self, state: str, reason: str | None = None) -> None:
        self.state, self.state_reason, self.replay_end = state, reason, time.time()

    def describe(self) -> dict[str, Any]:
        """DescribeReplay's members, in the model's order."""
        return set_members(
            {
                "ReplayName": self.name,
                "ReplayArn": self.arn,
                "Description": self.description,
                "State": self.state,
                "StateReason": self.state_reason,
                "EventSourceArn": self.archive_arn,
                "Destination": self.destination,
                "EventStartTime": self.event_start,
                "EventEndTime": self.event_end,
                "EventLastReplayedTime": self.last_replayed,
                "ReplayStartTime": self.replay_start,
                "ReplayEndTime": self.replay_end,
            }
        )


def replayed(event: Mapping[str, Any], replay_name: str) -> dict[str, Any]:
    """The event as a replay delivers it: `replay-name` right after `source`, everything else unchanged."""
    copy: dict[str, Any] = {}
    for key, value in event.items():
        copy[key] = value
        if key == "source":
            copy[REPLAY_NAME] = replay_name
    return copy


class Replayer:
    """Runs replays as tasks of the running event loop; `saved()` is called after every change of state."""

    def __init__(
        self,
        store: ArchiveStore,
        archives: Mapping[str, Archive],
        route: ReplayRoute,
        saved: Callable[[], None],
        pending_deliveries: Callable[[], int] = lambda: 0,
    ) -> None:
        self.store = store
        self.archives = archives
        self.route = route
        self.saved = saved
        self.pending_deliveries = pending_deliveries
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, replay: Replay) -> None:
        task = asyncio.get_running_loop().create_task(self._run(replay), name=f"replay {replay.name}")
        self._tasks[replay.name] = task
        task.add_done_callback(lambda _: self._tasks.pop(replay.name, None))

    async def stop(self, replays: Mapping[str, Replay]) -> None:
        """Cut the running replays short (the local cloud is stopping); they end FAILED, saying so."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        interrupted(replays)
        self.saved()

    async def _run(self, replay: Replay) -> None:
        try:
            if replay.state == STARTING:  # not when CancelReplay came first
                self._replay(replay, RUNNING)
            cursor = replay.event_start
            while cursor < replay.event_end:
                if replay.state == CANCELLING:
                    self._replay(replay, CANCELLED)
                    return
                archive = self.archives.get(replay.archive_name)
                if archive is None or archive.arn != replay.archive_arn:
                    self._replay(
                        replay, FAILED, f"Archive {replay.archive_name} was deleted during the replay."
                    )
                    return
                first = self.store.first_time(archive.name, cursor, replay.event_end)
                if first is None:
                    break
                minute_start = max(cursor, first - (first - replay.event_start) % MINUTE)
                cursor = min(minute_start + MINUTE, replay.event_end)
                if not self._replay_minute(replay, archive, minute_start, cursor):
                    return
                while self.pending_deliveries() > MAX_PENDING_DELIVERIES:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0)  # one minute at a time: let deliveries and API calls run
            if replay.state == CANCELLING:
                self._replay(replay, CANCELLED)
            else:
                self._replay(replay, COMPLETED)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("replay %s failed", replay.name)
            self._replay(replay, FAILED, f"The local EventBridge failed during the replay: {exc}")

    def _replay_minute(self, replay: Replay, archive: Archive, start: float, end: float) -> bool:
        for archived in self.store.between(archive.name, start, end):
            event = replayed(json.loads(archived.event_json), replay.name)
            if not self.route(replay.bus_name, event, replay.rule_arns):
                self._replay(replay, FAILED, f"Event bus {replay.bus_name} does not exist any more.")
                return False
            replay.last_replayed = archived.event_time
        return True

    def _replay(self, replay: Replay, state: str, reason: str | None = None) -> None:
        if state == RUNNING:
            replay.state = RUNNING
        else:
            replay.finish(state, reason)
            log.info("replay %s %s%s", replay.name, state, f": {reason}" if reason else "")
        self.saved()


def interrupted(replays: Mapping[str, Replay]) -> None:
    """Replays the local cloud stopped before they finished (at shutdown, or found so at start) end FAILED."""
    for replay in replays.values():
        if replay.state in ACTIVE:
            last = replay.last_replayed
            since = (
                f"after the events up to {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(last))}"
                if last is not None
                else "before any event"
            )
            replay.finish(
                FAILED,
                f"The local EventBridge stopped during the replay, {since}; start a new replay for the rest "
                "(consumers that deduplicate by event id skip what was delivered already).",
            )
