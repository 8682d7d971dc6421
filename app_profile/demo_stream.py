"""The demo stream: what analysts and plants would produce on a busy day, built with the domain package.

Each validation is a configuration an analyst could submit for one of their markets (model line sold there,
a plant that builds it, the catalog's trims, powertrains and options), validated by the real rules engine;
its events are the ones the Configuration API would publish. Supply constraints are raised for the catalog's
plants and cleared later, like real ones.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import replace
from typing import Any

from vehicle_config.catalog import Catalog, default_catalog
from vehicle_config.events import (
    SEVERITIES,
    DomainEvent,
    SupplyConstraint,
    supply_constraint_cleared,
    supply_constraint_raised,
    validation_outcome_events,
)
from vehicle_config.model import PRIORITIES, Configuration
from vehicle_config.notifications import NOTIFICATIONS, SUPPLY_SOURCE
from vehicle_config.rules import validate

from app_profile.analysts import DEMO_ANALYSTS, granted_markets
from vcn.identity import DemoUser

PUT_EVENTS_MAX_ENTRIES = 10
MAX_DEMO_OPTIONS = 3
# Part numbers are not in the catalog: supply systems own them.
PARTS = ("PN-4471-A", "PN-2210-C", "PN-8802-B", "PN-1175-K", "PN-6630-D", "PN-3318-E")
PRIORITY_BY_SEVERITY = {"LOW": "LOW", "MEDIUM": "NORMAL", "HIGH": "HIGH", "CRITICAL": "URGENT"}


def put_events_entry(bus_name: str, event: DomainEvent) -> dict[str, Any]:
    return {
        "EventBusName": bus_name,
        "Source": event.source,
        "DetailType": event.detail_type,
        "Detail": json.dumps(event.detail, separators=(",", ":")),
    }


def as_put_by_a_supply_system(event: DomainEvent) -> DomainEvent:
    """The demo stands in for a supply system: it puts `vehicle-config.supply`, and the supply ingress puts
    the checked event the notification rule reads (only the ingress may put that source)."""
    return replace(event, source=SUPPLY_SOURCE)


class VehicleConfigDemo:
    """Produces batches of PutEvents entries; a batch is one business fact and its consequences."""

    def __init__(
        self,
        bus_name: str,
        rng: random.Random | None = None,
        *,
        analysts: tuple[DemoUser, ...] = DEMO_ANALYSTS,
        catalog: Catalog | None = None,
    ) -> None:
        self.bus_name = bus_name
        self.rng = rng or random.Random()
        self.catalog = catalog or default_catalog()
        self.submitters = [
            user
            for user in analysts
            if any(market in self.catalog.markets for market in granted_markets(user))
        ]
        self.open_constraints: dict[str, SupplyConstraint] = {}

    def next_batch(self) -> list[dict[str, Any]]:
        roll = self.rng.random()
        if roll < 0.7:
            events = self.validation()
        elif self.open_constraints and roll < 0.85:
            events = [self.constraint_cleared()]
        else:
            events = [self.constraint_raised()]
        return [put_events_entry(self.bus_name, event) for event in events[:PUT_EVENTS_MAX_ENTRIES]]

    def validation(self) -> list[DomainEvent]:
        rng, catalog = self.rng, self.catalog
        analyst = rng.choice(self.submitters)
        market = rng.choice([m for m in granted_markets(analyst) if m in catalog.markets])
        model_line = rng.choice([line for line in catalog.model_lines.values() if market in line.markets])
        plant = rng.choice([p for p in catalog.plants.values() if model_line.code in p.model_lines])
        options = rng.sample(sorted(catalog.options), rng.randint(0, MAX_DEMO_OPTIONS))
        configuration = Configuration(
            configuration_id=self._configuration_id(),
            market=market,
            model_line=model_line.code,
            trim=rng.choice(model_line.trims),
            powertrain=rng.choice(model_line.powertrains),
            plant=plant.code,
            options=tuple(options),
            priority=rng.choices(PRIORITIES, weights=[2, 5, 2, 1])[0],
        )
        return validation_outcome_events(configuration, validate(configuration, catalog), analyst.id)

    def constraint_raised(self) -> DomainEvent:
        severity = self.rng.choice(SEVERITIES)
        constraint = SupplyConstraint(
            constraint_id=f"sc-{self._hex()}",
            plant=self.rng.choice(sorted(self.catalog.plants)),
            part_number=self.rng.choice(PARTS),
            severity=severity,
            affected_configurations=[self._configuration_id() for _ in range(self.rng.randint(1, 4))],
            priority=PRIORITY_BY_SEVERITY[severity],
        )
        self.open_constraints[constraint.constraint_id] = constraint
        return as_put_by_a_supply_system(supply_constraint_raised(constraint))

    def constraint_cleared(self) -> DomainEvent:
        raised = self.open_constraints.pop(self.rng.choice(sorted(self.open_constraints)))
        return as_put_by_a_supply_system(supply_constraint_cleared(replace(raised, priority="NORMAL")))

    def describe(self, entries: list[dict[str, Any]]) -> str:
        """One readable line per business fact: what happened and on which channels it shows up."""
        first = json.loads(entries[0]["Detail"])
        kind = entries[0]["DetailType"]
        channels = ", ".join(channel.format(**first) for channel in NOTIFICATIONS[kind].channels)
        if entries[0]["Source"] == SUPPLY_SOURCE:
            return f"{kind} {first['partNumber']} {first['severity']} -> {channels}"
        extra = f" + {len(entries) - 1} SpecAdjustmentRecommended" if len(entries) > 1 else ""
        return f"{kind} {first['configurationId']} {first['outcome']}{extra} -> {channels}"

    def _hex(self) -> str:
        return uuid.UUID(int=self.rng.getrandbits(128)).hex[:10]

    def _configuration_id(self) -> str:
        return f"cfg-{self._hex()}"
