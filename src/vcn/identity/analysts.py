"""The demo analysts the development identity provider knows, and the markets and plants they may read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoAnalyst:
    id: str  # the token's `sub`: segment-safe so it can be a `/users/{id}` channel segment
    name: str
    markets: tuple[str, ...]
    plants: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "markets": list(self.markets), "plants": list(self.plants)}


# Codes from the domain catalog (functions/vehicle_config/catalog.json): ZWI Zwickau, CHA Chattanooga.
DEMO_ANALYSTS: tuple[DemoAnalyst, ...] = (
    DemoAnalyst("analyst-de", "Demand analyst Germany", ("DE",), ("ZWI",)),
    DemoAnalyst("analyst-fr", "Demand analyst France", ("FR",), ()),
    DemoAnalyst("analyst-us", "Demand analyst United States", ("US",), ("CHA",)),
    DemoAnalyst("supply-lead", "Supply lead, all plants", (), ("*",)),
    DemoAnalyst("admin", "Administrator, everything", ("*",), ("*",)),
)


def find_analyst(user: str) -> DemoAnalyst | None:
    return next((analyst for analyst in DEMO_ANALYSTS if analyst.id == user), None)
