"""Archives: what each records and for how long, and the recording itself.

An archive records every event PutEvents accepts onto its bus that matches its optional EventPattern
(without one, every event); replayed events never pass here (AWS: "Replayed events are not sent to an
archive"), nor do scheduled rules' events. It keeps each for RetentionDays after it was archived (0: for
ever); expired events are deleted at start, then at most once an hour, and before an archive is described.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vcn.eventbridge.archive_store import ArchivedEvent, ArchiveStore
from vcn.eventbridge.described import set_members
from vcn.eventbridge.patterns import EventPattern

log = logging.getLogger("vcn.eventbridge")

ENABLED = "ENABLED"
REPLAY_NAME = "replay-name"
EXPIRY_INTERVAL_SECONDS = 3600.0
DAY_SECONDS = 86400


@dataclass
class Archive:
    name: str
    arn: str
    source_arn: str  # the event bus it records
    bus: str
    event_pattern: str | None
    pattern: EventPattern | None
    retention_days: int  # 0: for ever
    description: str | None
    kms_key_identifier: str | None
    created: float
    state: str = ENABLED

    def matches(self, event: Mapping[str, Any]) -> bool:
        return self.pattern is None or bool(self.pattern.matches(event))

    def describe(self, event_count: int, size_bytes: int) -> dict[str, Any]:
        """DescribeArchive's members, in the model's order."""
        return set_members(
            {
                "ArchiveArn": self.arn,
                "ArchiveName": self.name,
                "EventSourceArn": self.source_arn,
                "Description": self.description,
                "EventPattern": self.event_pattern,
                "State": self.state,
                "KmsKeyIdentifier": self.kms_key_identifier,
                "RetentionDays": self.retention_days,
                "SizeBytes": size_bytes,
                "EventCount": event_count,
                "CreationTime": self.created,
            }
        )


def event_time(event: Mapping[str, Any]) -> float:
    """The time in the event (`YYYY-MM-DDTHH:MM:SSZ`) as epoch seconds: what replays select by."""
    return datetime.fromisoformat(str(event["time"])).timestamp()


class ArchiveLedger:
    """The archives of one EventBridge (kept in `archives`, by name) and their events (in the store)."""

    def __init__(self, archives: dict[str, Archive], store: ArchiveStore) -> None:
        self.archives = archives
        self.store = store
        self._expired_at = 0.0
        self._pending: list[ArchivedEvent] = []

    def record(self, bus_arn: str, event: Mapping[str, Any]) -> None:
        """Archive an event PutEvents accepted onto the bus `bus_arn`, in each archive that wants it, at the
        next `commit()` (PutEvents commits once per request, before it answers)."""
        if not self.archives:
            return
        wanted = [a for a in self.archives.values() if a.source_arn == bus_arn and a.matches(event)]
        if not wanted:
            return
        now = time.time()
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        moment = event_time(event)
        self._pending.extend(ArchivedEvent(archive.name, moment, now, text) for archive in wanted)

    def commit(self) -> None:
        """Write what `record` collected in one transaction (per request, not per event: bench/README.md)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self.store.record(pending)
        if pending[-1].archived_at - self._expired_at > EXPIRY_INTERVAL_SECONDS:
            self.expire(pending[-1].archived_at)

    def expire(self, now: float | None = None) -> None:
        """Delete the events whose archive's retention has run out."""
        now = time.time() if now is None else now
        self._expired_at = now
        for archive in self.archives.values():
            if archive.retention_days > 0:
                gone = self.store.expire(archive.name, now - archive.retention_days * DAY_SECONDS)
                if gone:
                    log.info(
                        "archive %s: %d events older than %d days expired",
                        archive.name,
                        gone,
                        archive.retention_days,
                    )

    def describe(self, archive: Archive) -> dict[str, Any]:
        self.expire()
        stats = self.store.stats(archive.name)
        return archive.describe(stats.event_count, stats.size_bytes)

    def forget_undeclared(self) -> None:
        """Delete the events of archives that no longer exist (their declaration left the template)."""
        for name in self.store.names():
            if name not in self.archives:
                gone = self.store.drop(name)
                log.warning(
                    "archive %s no longer exists (the template stopped declaring it, or it was created "
                    "through the API and not restored): its %d archived events were deleted",
                    name,
                    gone,
                )
