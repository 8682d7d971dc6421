"""In-memory implementations of the functions' ports, for tests that must not reach AWS."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from vehicle_config.events import DomainEvent
from vehicle_config.ports import PublishReceipt


@dataclass
class InMemoryEventPublisher:
    """An `EventPublisher` that records what would have been published."""

    published: list[DomainEvent] = field(default_factory=list)
    calls: int = 0

    def publish(self, events: Sequence[DomainEvent]) -> PublishReceipt:
        self.calls += 1
        self.published.extend(events)
        return PublishReceipt(tuple(str(uuid.uuid4()) for _ in events))

    def of_type(self, detail_type: str) -> list[DomainEvent]:
        return [e for e in self.published if e.detail_type == detail_type]
