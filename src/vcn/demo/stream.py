"""Generates PutEvents entries that look like production traffic for the demo analysts' markets and plants.

Values follow the domain catalog (functions/vehicle_config/catalog.json): model lines sold in each market,
plants that build them, option codes with their alternatives, the rules engine's reason codes. Every scalar
that travels to clients matches `[A-Za-z0-9._:-]`, as the catalog requires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("vcn.demo")

VALIDATION_SOURCE = "vehicle-config.validation"
SUPPLY_SOURCE = "vehicle-config.supply"

# market -> (model lines sold there, analysts who submit there)
MARKETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DE": (("ARC", "VELA", "TERRA", "NOVA"), ("analyst-de",)),
    "FR": (("ARC", "VELA", "TERRA", "NOVA"), ("analyst-fr",)),
    "US": (("VELA", "TERRA", "NOVA"), ("analyst-us",)),
}
# model line -> plants that build it
PLANTS: dict[str, tuple[str, ...]] = {
    "ARC": ("WOB", "ZWI"),
    "VELA": ("WOB", "BRA", "CHA", "ANT"),
    "TERRA": ("BRA", "CHA"),
    "NOVA": ("ZWI", "ANT"),
}
# option -> compatible alternative the rules engine recommends instead
ALTERNATIVES: dict[str, str] = {
    "WHL-21": "WHL-20",
    "ROOF-PANO": "ROOF-SUN",
    "SEAT-MASSAGE": "SEAT-VENT",
    "LASER-LIGHT": "LED-MATRIX",
    "PAINT-MATTE": "PAINT-METALLIC",
    "NIGHT-VISION": "CAM-360",
    "AIR-SUSP": "SUSP-SPORT",
    "CHG-22KW": "CHG-11KW",
}
REQUIRED: dict[str, str] = {"SEAT-VENT": "SEAT-LEATHER", "DRIVE-PILOT": "ACC", "TOW-HITCH-ELEC": "TOW-HITCH"}
REPLACE_REASONS = (
    "OPTION_EXCLUDED",
    "PLANT_CANNOT_FIT_OPTION",
    "OPTION_DISCONTINUING",
    "OPTION_NOT_SOLD_IN_MARKET",
)
PARTS = ("PN-4471-A", "PN-2210-C", "PN-8802-B", "PN-1175-K", "PN-6630-D", "PN-3318-E")
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
PRIORITY_BY_SEVERITY = {"LOW": "LOW", "MEDIUM": "NORMAL", "HIGH": "HIGH", "CRITICAL": "URGENT"}


def _entry(bus: str, source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}


@dataclass
class DemoStream:
    """Produces batches of PutEvents entries; open supply constraints are cleared later, like real ones."""

    bus_name: str = "vehicle-config"
    rng: random.Random = field(default_factory=random.Random)
    open_constraints: dict[str, dict[str, Any]] = field(default_factory=dict)

    def next_batch(self) -> list[dict[str, Any]]:
        """One business fact: a validation (with its recommendations) or a supply constraint change."""
        roll = self.rng.random()
        if roll < 0.7:
            return self.validation()
        if self.open_constraints and roll < 0.85:
            return [self.constraint_cleared()]
        return [self.constraint_raised()]

    def validation(self) -> list[dict[str, Any]]:
        market = self.rng.choice(list(MARKETS))
        model_lines, analysts = MARKETS[market]
        model_line = self.rng.choice(model_lines)
        plant = self.rng.choice(PLANTS[model_line])
        submitted_by = self.rng.choice(analysts)
        configuration_id = self._configuration_id()
        outcome = self.rng.choices(["VALID", "VALID_WITH_WARNINGS", "INVALID"], weights=[5, 3, 2])[0]
        violations = self.rng.randint(1, 3) if outcome == "INVALID" else 0
        warnings = self.rng.randint(1, 3) if outcome == "VALID_WITH_WARNINGS" else 0
        priority = "HIGH" if outcome == "INVALID" else self.rng.choice(["LOW", "NORMAL", "NORMAL"])
        entries = [
            _entry(
                self.bus_name,
                VALIDATION_SOURCE,
                "ConfigurationValidated",
                {
                    "configurationId": configuration_id,
                    "market": market,
                    "modelLine": model_line,
                    "plant": plant,
                    "outcome": outcome,
                    "violationCount": violations,
                    "warningCount": warnings,
                    "submittedBy": submitted_by,
                    "priority": priority,
                },
            )
        ]
        for _ in range(violations + warnings if outcome != "VALID" else 0):
            entries.append(self._recommendation(configuration_id, market, model_line, submitted_by, priority))
        return entries[:10]

    def _configuration_id(self) -> str:
        return f"cfg-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:12]}"

    def _recommendation(
        self, configuration_id: str, market: str, model_line: str, submitted_by: str, priority: str
    ) -> dict[str, Any]:
        if self.rng.random() < 0.3:
            required = self.rng.choice(list(REQUIRED.values()))
            action, from_option, to_option, reason = "ADD_OPTION", "NONE", required, "REQUIRED_OPTION_MISSING"
        else:
            from_option, to_option = self.rng.choice(list(ALTERNATIVES.items()))
            action, reason = "REPLACE_OPTION", self.rng.choice(REPLACE_REASONS)
        return _entry(
            self.bus_name,
            VALIDATION_SOURCE,
            "SpecAdjustmentRecommended",
            {
                "configurationId": configuration_id,
                "market": market,
                "modelLine": model_line,
                "submittedBy": submitted_by,
                "recommendationId": f"rec-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:10]}",
                "action": action,
                "fromOption": from_option,
                "toOption": to_option,
                "reasonCode": reason,
                "priority": priority,
            },
        )

    def constraint_raised(self) -> dict[str, Any]:
        model_line = self.rng.choice(list(PLANTS))
        plant = self.rng.choice(PLANTS[model_line])
        severity = self.rng.choice(SEVERITIES)
        constraint_id = f"sc-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:10]}"
        detail: dict[str, Any] = {
            "constraintId": constraint_id,
            "plant": plant,
            "partNumber": self.rng.choice(PARTS),
            "severity": severity,
            "affectedConfigurations": [self._configuration_id() for _ in range(self.rng.randint(1, 4))],
            "priority": PRIORITY_BY_SEVERITY[severity],
        }
        self.open_constraints[constraint_id] = detail
        return _entry(self.bus_name, SUPPLY_SOURCE, "SupplyConstraintRaised", detail)

    def constraint_cleared(self) -> dict[str, Any]:
        constraint_id = self.rng.choice(list(self.open_constraints))
        detail = dict(self.open_constraints.pop(constraint_id), priority="NORMAL")
        return _entry(self.bus_name, SUPPLY_SOURCE, "SupplyConstraintCleared", detail)


def describe(entries: list[dict[str, Any]]) -> str:
    """One readable line per business fact: what happened and on which channel it shows up."""
    first = json.loads(entries[0]["Detail"])
    kind = entries[0]["DetailType"]
    if entries[0]["Source"] == SUPPLY_SOURCE:
        return f"{kind} {first['partNumber']} {first['severity']} -> /plants/{first['plant']}"
    extra = f" + {len(entries) - 1} SpecAdjustmentRecommended" if len(entries) > 1 else ""
    return (
        f"{kind} {first['configurationId']} {first['outcome']}{extra} -> "
        f"/markets/{first['market']}/{first['modelLine']}, /users/{first['submittedBy']}"
    )


PutEvents = Callable[[list[dict[str, Any]]], Awaitable[dict[str, Any]]]


async def run_demo(
    put_events: PutEvents, *, bus_name: str, rate: float, stop: asyncio.Event, count: int | None = None
) -> int:
    """Send `rate` business facts per second until `stop` is set or `count` were sent; returns how many."""
    stream = DemoStream(bus_name)
    sent = 0
    interval = 1.0 / rate if rate > 0 else 1.0
    while not stop.is_set() and (count is None or sent < count):
        entries = stream.next_batch()
        try:
            response = await put_events(entries)
        except Exception as exc:  # a demo keeps going when the bus hiccups; the log says why
            log.warning("demo: PutEvents failed: %s", exc)
        else:
            failed = int(response.get("FailedEntryCount", 0))
            if failed:
                log.warning("demo: %d of %d entries failed: %s", failed, len(entries), response["Entries"])
            log.info("demo: %s", describe(entries))
        sent += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    return sent
