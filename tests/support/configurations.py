"""Builders shared by the domain tests."""

from __future__ import annotations

from typing import Any

from vehicle_config.model import Configuration


def configuration(**overrides: Any) -> Configuration:
    """A buildable VELA SPORT petrol for Germany from Wolfsburg, with `overrides` (JSON field names)."""
    data: dict[str, Any] = {
        "configurationId": "cfg-test-1",
        "market": "DE",
        "modelLine": "VELA",
        "trim": "SPORT",
        "powertrain": "P20",
        "plant": "WOB",
        "options": [],
        "priority": "NORMAL",
    }
    data.update(overrides)
    return Configuration.from_dict(data)
