"""The shop's part of `vcn check`: OrderShipped events, the fields its clients read, no hostile producers.

A test double of an application's check contribution, beside the shop template the tests seed defects into.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from vcn.check.adversarial import hostile_replacements
from vcn.check.contribution import CheckContribution, EventKind
from vcn.local.profile import AppProfile

REGIONS = ("DE", "FR", "US")
ORDINARY = {"region": "DE", "orderId": "ord-0001"}


def fields_read(channel: str) -> tuple[str, ...] | None:
    return ("orderId", "eventId") if channel.startswith("/orders/") else None


def channels_for(detail: Mapping[str, Any]) -> tuple[str, ...]:
    """An order's notification goes to its region's channel (a value as a transformer splices it)."""
    region = detail.get("region")
    return (f"/orders/{region if isinstance(region, str) else json.dumps(region)}",)


def order_shipped(*, hostile: bool = False) -> EventKind:
    details = st.fixed_dictionaries(
        {
            "region": st.sampled_from(REGIONS),
            "orderId": st.text(alphabet="abcdef0123456789-", min_size=1, max_size=20).map(
                lambda s: f"ord{s}"
            ),
        }
    )
    return EventKind(
        source="shop.orders",
        detail_type="OrderShipped",
        details=details,
        examples=(ORDINARY,),
        fields_read=fields_read,
        channels_for=channels_for,
        replacements=hostile_replacements if hostile else None,
    )


def shop_profile(*, hostile: bool = False) -> AppProfile:
    """The shop as an app profile whose producers send valid orders only, or (hostile) anything."""
    contribution = CheckContribution(event_kinds=(order_shipped(hostile=hostile),))
    return AppProfile(name="shop", check=lambda: contribution)


# What a copy of the shop names in its pyproject.toml (`[tool.vcn] profile`), for `vcn check` from the CLI.
PROFILE = shop_profile()
HOSTILE_PROFILE = shop_profile(hostile=True)
