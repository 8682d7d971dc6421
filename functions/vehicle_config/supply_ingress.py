"""The supply ingress: what an outside supply system put on the bus, checked before any rule notifies it.

Supply systems put `SupplyConstraintRaised` and `SupplyConstraintCleared` events themselves (`aws events
put-events`, source `vehicle-config.supply`), so nothing but this module holds them to the contract.
EventBridge splices detail values into the notification unescaped, and no event pattern within its quotas
can refuse a control character, or a list of valid values in place of a single one; either makes the
publish body invalid JSON, which EventBridge drops without a trace. So the notification rule never sees
what a supply system put: `admit` checks it with the field rules the event builders use
(`events.parse_supply_constraint`) and either rebuilds the canonical event (source
`vehicle-config.supply.checked`, exactly the declared fields) or returns every reason it was refused.
Pure: the Lambda handler (`handlers.supply_ingress`) and `vcn check` (through the app profile) call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vehicle_config.events import (
    DomainEvent,
    parse_supply_constraint,
    supply_constraint_cleared,
    supply_constraint_raised,
)
from vehicle_config.fields import InvalidFields, shown
from vehicle_config.notifications import (
    SUPPLY_CONSTRAINT_CLEARED,
    SUPPLY_CONSTRAINT_RAISED,
    SUPPLY_SOURCE,
)

BUILDERS = {
    SUPPLY_CONSTRAINT_RAISED: supply_constraint_raised,
    SUPPLY_CONSTRAINT_CLEARED: supply_constraint_cleared,
}
# The detail-types the ingress takes from supply systems (its rule's pattern names them).
ADMITTED_DETAIL_TYPES = tuple(BUILDERS)


@dataclass(frozen=True)
class Admitted:
    """The supply event keeps the contract: this canonical event goes on the bus instead."""

    event: DomainEvent


@dataclass(frozen=True)
class Refused:
    """The supply event breaks the contract; each reason names the field (`detail.plant: ...`)."""

    reasons: tuple[str, ...]


def admit(source: Any, detail_type: Any, detail: Any) -> Admitted | Refused:
    """Check one event a supply system put; never raises for what the event holds."""
    if source != SUPPLY_SOURCE:
        return Refused((f"source: must be {SUPPLY_SOURCE}, got {shown(source)}",))
    builder = BUILDERS.get(detail_type) if isinstance(detail_type, str) else None
    if builder is None:
        allowed = " or ".join(ADMITTED_DETAIL_TYPES)
        return Refused((f"detail-type: must be {allowed}, got {shown(detail_type)}",))
    try:
        return Admitted(builder(parse_supply_constraint(detail)))
    except InvalidFields as invalid:
        return Refused(tuple(f"{error.field}: {error.problem}" for error in invalid.errors))


def admit_event(event: Mapping[str, Any]) -> Admitted | Refused:
    """`admit` for an EventBridge event as a target receives it."""
    return admit(event.get("source"), event.get("detail-type"), event.get("detail"))
