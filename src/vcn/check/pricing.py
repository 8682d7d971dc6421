"""AWS list prices and service quotas `vcn check --traffic` uses, from one data file (`aws_prices.json`)
that records when and where each figure was read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

DATA_FILE = "aws_prices.json"


@dataclass(frozen=True)
class Price:
    usd: float
    per: int
    unit: str
    source: str

    def cost(self, quantity: float) -> float:
        return quantity * self.usd / self.per


@dataclass(frozen=True)
class Quota:
    value: float
    adjustable: bool
    what: str
    source: str


@dataclass(frozen=True)
class PriceList:
    recorded: str
    region: str
    note: str
    prices: Mapping[str, Price]
    quotas: Mapping[str, Quota]
    sizes: Mapping[str, int]

    def price(self, name: str) -> Price:
        return self.prices[name]

    def quota(self, name: str) -> Quota:
        return self.quotas[name]


def load_prices() -> PriceList:
    text = resources.files("vcn.check").joinpath(DATA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return PriceList(
        recorded=data["recorded"],
        region=data["region"],
        note=data["note"],
        prices={name: Price(**entry) for name, entry in data["prices"].items()},
        quotas={name: Quota(**entry) for name, entry in data["quotas"].items()},
        sizes=data["sizes"],
    )
