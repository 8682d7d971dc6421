"""What the control plane manages (event buses with their rules, connections, API destinations, archives and
replays) and the lookups its operations share, each failing with AWS's not-found message."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TypeVar

from vcn import arns
from vcn.eventbridge.archives import Archive
from vcn.eventbridge.arns import events_arn
from vcn.eventbridge.errors import not_found
from vcn.eventbridge.model import ApiDestination, Connection, EventBus, Rule
from vcn.eventbridge.replays import Replay
from vcn.eventbridge.settings import EventBridgeSettings

T = TypeVar("T")


@dataclass
class Resources:
    account: str
    region: str
    settings: EventBridgeSettings
    buses: dict[str, EventBus] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    api_destinations: dict[str, ApiDestination] = field(default_factory=dict)
    archives: dict[str, Archive] = field(default_factory=dict)
    replays: dict[str, Replay] = field(default_factory=dict)
    # ARNs of connections and API destinations before the last restart, by (kind, name): one created again
    # under its old name (the template's, at start) keeps its ARN, so targets that name it still work.
    remembered_arns: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if arns.DEFAULT_BUS not in self.buses:
            self.add_bus(arns.DEFAULT_BUS)

    def add_bus(self, name: str) -> EventBus:
        now = time.time()
        bus = EventBus(name, self.arn("event-bus", name), None, now, now)
        self.buses[name] = bus
        return bus

    def bus(self, name_or_arn: str | None) -> EventBus:
        return _found(self.find_bus(name_or_arn), f"Event bus {arns.bus_name(name_or_arn)} does not exist.")

    def find_bus(self, name_or_arn: str | None) -> EventBus | None:
        """The bus a name or an event-bus ARN names; None when there is none here (an ARN of another account
        or Region names none)."""
        name = arns.local_bus_name(name_or_arn, self.account, self.region)
        return None if name is None else self.buses.get(name)

    def rule(self, bus_name_or_arn: str | None, name: str) -> tuple[EventBus, Rule]:
        bus = self.bus(bus_name_or_arn)
        return bus, _found(bus.rules.get(name), f"Rule {name} does not exist on EventBus {bus.name}.")

    def connection(self, name: str) -> Connection:
        return _found(
            self.connections.get(name),
            f"Failed to describe the connection(s). Connection '{name}' does not exist.",
        )

    def api_destination(self, name: str) -> ApiDestination:
        return _found(
            self.api_destinations.get(name),
            f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist.",
        )

    def archive(self, name: str) -> Archive:
        return _found(self.archives.get(name), f"Archive {name} does not exist.")

    def replay(self, name: str) -> Replay:
        return _found(self.replays.get(name), f"Replay {name} does not exist.")

    def connection_by_arn(self, arn: str) -> Connection:
        """The connection an API destination names (the ARN is well formed: the model's pattern held)."""
        connection = self.connections.get(arns.resource_name(arn, "connection") or "")
        if connection is None or connection.arn != arn:
            raise not_found(f"Connection '{arn}' does not exist; create it with CreateConnection first.")
        return connection

    def arn(self, resource_type: str, name: str) -> str:
        """The ARN of the resource of `resource_type` named `name` in this account and Region."""
        return events_arn(self.region, self.account, resource_type, name)

    def mint_arn(self, kind: str, name: str) -> str:
        """The ARN for a new connection or API destination (`kind`): the remembered one, or a fresh one that
        ends in a random id."""
        return self.remembered_arns.pop((kind, name), None) or self.arn(kind, f"{name}/{uuid.uuid4()}")


def _found(resource: T | None, missing: str) -> T:
    """The resource a lookup found; ResourceNotFoundException with AWS's message `missing` when none."""
    if resource is None:
        raise not_found(missing)
    return resource
