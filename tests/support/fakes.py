"""In-memory implementations of the functions' ports, for tests that must not reach AWS, and the way a test
hands one to the handlers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TypeVar

import pytest
from key_keeper.lifetime import ApiKeyState, KeyNotExtended
from vehicle_config.events import DomainEvent
from vehicle_config.ports import PublishReceipt

Port = TypeVar("Port")


def hand_out(monkeypatch: pytest.MonkeyPatch, port: Port, *factories: tuple[ModuleType, str]) -> Port:
    """Make each of a handler module's port factories, `(module, name)`, return `port` for this test (the
    handlers build their ports through such module-level functions); `port` again, for the test to inspect."""
    for module, name in factories:
        monkeypatch.setattr(module, name, lambda: port)
    return port


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


@dataclass
class InMemoryApiKeys:
    """An `ApiKeys` port over a dict of key -> expiry; keys in `refusing` cannot be extended."""

    expiries: dict[str, int]
    refusing: set[str] = field(default_factory=set)
    extended: list[tuple[str, int]] = field(default_factory=list)

    def list_keys(self) -> Sequence[ApiKeyState]:
        return [ApiKeyState(key, expires) for key, expires in self.expiries.items()]

    def extend(self, key_id: str, expires: int) -> ApiKeyState:
        if key_id in self.refusing:
            raise KeyNotExtended("NotFoundException: API key not found.")
        self.extended.append((key_id, expires))
        self.expiries[key_id] = expires
        return ApiKeyState(key_id, expires)
