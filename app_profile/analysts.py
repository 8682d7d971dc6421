"""The demo analysts: who can sign in on the local cloud, and the markets and plants their tokens grant."""

from __future__ import annotations

from vcn.identity import DemoUser


def analyst(user_id: str, name: str, markets: tuple[str, ...], plants: tuple[str, ...]) -> DemoUser:
    """A demo user whose tokens carry `markets` and `plants` claims (`*` grants all), like production ones."""
    return DemoUser(user_id, name, {"markets": list(markets), "plants": list(plants)})


# Codes from the domain catalog (vehicle_config/catalog.json): ZWI Zwickau, CHA Chattanooga.
DEMO_ANALYSTS: tuple[DemoUser, ...] = (
    analyst("analyst-de", "Demand analyst Germany", ("DE",), ("ZWI",)),
    analyst("analyst-fr", "Demand analyst France", ("FR",), ()),
    analyst("analyst-us", "Demand analyst United States", ("US",), ("CHA",)),
    analyst("supply-lead", "Supply lead, all plants", (), ("*",)),
    analyst("admin", "Administrator, everything", ("*",), ("*",)),
)


def granted_markets(user: DemoUser) -> tuple[str, ...]:
    """The concrete market codes a demo user may read (not `*`)."""
    return tuple(code for code in user.claims.get("markets", ()) if code != "*")
