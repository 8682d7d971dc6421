"""Publishing domain events to the EventBridge bus: the `EventPublisher` port (`vehicle_config.ports`) on AWS.

`EventBridgePublisher` sends PutEvents in batches of 10 with the X-Ray trace header, retries only the entries
EventBridge failed with a transient code, and raises `PublishError` naming every entry that still failed.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vehicle_config.events import DomainEvent
from vehicle_config.ports import PublishReceipt

PUT_EVENTS_MAX_ENTRIES = 10
RETRYABLE_ERROR_CODES = frozenset({"ThrottlingException", "InternalFailure"})
TRACE_HEADER_ENV = "_X_AMZN_TRACE_ID"


@dataclass(frozen=True)
class FailedEntry:
    index: int
    detail_type: str
    error_code: str
    error_message: str


class PublishError(RuntimeError):
    """Some events were not accepted by EventBridge; the others were published."""

    def __init__(self, failed: Sequence[FailedEntry], total: int) -> None:
        self.failed = tuple(failed)
        codes = ", ".join(
            f"#{f.index} {f.detail_type}: {f.error_code} ({f.error_message})" for f in self.failed
        )
        super().__init__(f"EventBridge rejected {len(self.failed)} of {total} events: {codes}")


class PutEventsClient(Protocol):
    """The slice of the boto3 EventBridge client this adapter uses."""

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]: ...


class EventBridgePublisher:
    """PutEvents to one bus; transient per-entry failures are retried with exponential backoff and jitter."""

    def __init__(
        self,
        bus_name: str,
        client: PutEventsClient,
        *,
        max_attempts: int = 4,
        base_delay_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bus_name = bus_name
        self._client = client
        self._max_attempts = max_attempts
        self._base_delay = base_delay_seconds
        self._sleep = sleep

    def publish(self, events: Sequence[DomainEvent]) -> PublishReceipt:
        entries = [self._entry(event) for event in events]
        event_ids: list[str | None] = [None] * len(entries)
        pending = list(range(len(entries)))
        failed: dict[int, FailedEntry] = {}
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(self._base_delay * (2 ** (attempt - 1)) * (1 + random.random()))
            retry: list[int] = []
            for start in range(0, len(pending), PUT_EVENTS_MAX_ENTRIES):
                batch = pending[start : start + PUT_EVENTS_MAX_ENTRIES]
                response = self._client.put_events(Entries=[entries[i] for i in batch])
                for index, result in zip(batch, response["Entries"], strict=True):
                    if "EventId" in result and not result.get("ErrorCode"):
                        event_ids[index] = result["EventId"]
                        failed.pop(index, None)
                        continue
                    failed[index] = FailedEntry(
                        index,
                        entries[index]["DetailType"],
                        result.get("ErrorCode", "Unknown"),
                        result.get("ErrorMessage", ""),
                    )
                    if failed[index].error_code in RETRYABLE_ERROR_CODES:
                        retry.append(index)
            pending = retry
            if not pending:
                break
        if failed:
            raise PublishError(sorted(failed.values(), key=lambda f: f.index), len(entries))
        return PublishReceipt(tuple(i for i in event_ids if i is not None))

    def _entry(self, event: DomainEvent) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Source": event.source,
            "DetailType": event.detail_type,
            "Detail": json.dumps(event.detail, separators=(",", ":")),
            "EventBusName": self.bus_name,
        }
        # The header changes per invocation, so it is read at publish time, not at construction.
        trace_header = os.environ.get(TRACE_HEADER_ENV)
        if trace_header:
            entry["TraceHeader"] = trace_header
        return entry


def eventbridge_publisher(bus_name: str) -> EventBridgePublisher:
    """The deployed function's publisher on `bus_name`, with a boto3 EventBridge client."""
    import boto3  # imported here: boto3 costs ~100 ms of cold start and only publishing needs it

    return EventBridgePublisher(bus_name, boto3.client("events"))
