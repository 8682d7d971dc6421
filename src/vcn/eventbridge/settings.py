"""Tunable limits and timers of the local EventBridge (AWS defaults; tests shorten the timers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DlqBody = Literal["original", "transformed"]
JournalSync = Literal["NORMAL", "FULL"]
# Each byte of an entry takes at most 6 bytes in the request JSON (a control character escaped as \u0001).
REQUEST_EXPANSION = 6
REQUEST_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class EventBridgeSettings:
    # PutEvents request size limit; AWS raised it from 256 KB to 1 MB.
    max_put_events_bytes: int = 1024 * 1024
    max_rules_per_bus: int = 300
    max_targets_per_rule: int = 5
    # API destination HTTP timeout per attempt.
    http_timeout_seconds: float = 5.0
    # Requests in flight per API destination; more wait their turn (thousands of simultaneous connects to one
    # endpoint overflow its accept queue and cost far more than queueing).
    max_connections_per_destination: int = 32
    # Exponential backoff: delay before retry n is uniform(0, min(cap, base * 2**n)) ("full jitter").
    retry_base_seconds: float = 1.0
    retry_max_backoff_seconds: float = 60.0
    # UNCONFIRMED in AWS whether a DLQ message holds the original or the transformed event; default original.
    dlq_body: DlqBody = "original"
    # Where deliveries that cannot go on for a reason of the local cloud's go when their target has no
    # dead-letter queue of its own: resumed after a restart for a rule that no longer exists, failed inside
    # the local EventBridge, or (without a journal) cut short by a shutdown.
    shutdown_queue_name: str = "vcn-undelivered"
    # Keep pending deliveries in the state folder (journal.py); off only to measure what that costs (bench).
    journal: bool = True
    # NORMAL survives the death of the process; FULL also a power cut, for an fsync per commit.
    journal_synchronous: JournalSync = "NORMAL"
    # Refresh OAuth tokens this many seconds before they expire.
    oauth_expiry_margin_seconds: float = 30.0

    @property
    def max_request_bytes(self) -> int:
        """The largest request body worth reading: a PutEvents within the entries limit cannot be longer."""
        return REQUEST_EXPANSION * self.max_put_events_bytes + REQUEST_OVERHEAD_BYTES
