"""The local DynamoDB's background work: TTL sweeps and journal compactions, in one thread."""

from __future__ import annotations

import logging
import threading
import time

from .config import DynamoDbSettings
from .engine import DynamoDbEngine
from .ttl import SweepResult, sweep_expired

log = logging.getLogger("vcn.dynamodb")


class Maintenance(threading.Thread):
    """Every `ttl_sweep_seconds`: delete expired items; compact the journal once it has grown enough."""

    def __init__(self, engine: DynamoDbEngine, settings: DynamoDbSettings) -> None:
        super().__init__(name="dynamodb-maintenance", daemon=True)
        self.engine = engine
        self.settings = settings
        self.totals = SweepResult()
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.settings.ttl_sweep_seconds):
            self.run_once()

    def run_once(self) -> None:
        try:
            swept = sweep_expired(self.engine, time.time())
            self.totals.deleted += swept.deleted
            self.totals.changed_meanwhile += swept.changed_meanwhile
            self.totals.failed += swept.failed
            if self.engine.journal.appended_since_compaction > self.settings.compact_after_entries:
                self.engine.compact()
        except Exception:  # the thread must outlive one bad pass; the next one tries again
            log.exception("DynamoDB maintenance failed")

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=10)
