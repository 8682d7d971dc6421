"""The ports the vehicle-configuration use cases call out through; adapters implement them.

Typed with `typing.Protocol`, so the domain names what it needs without importing an AWS SDK: the EventBridge
publisher in `adapters.event_publisher` satisfies `EventPublisher`, and tests pass an in-memory one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vehicle_config.events import DomainEvent


@dataclass(frozen=True)
class PublishReceipt:
    """Event ids given by the bus, one per published event, in the order the events were given."""

    event_ids: tuple[str, ...]


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> PublishReceipt:
        """Put every event on the bus, or raise naming the ones that were not accepted."""
        ...
