"""The product catalog: markets, model lines, trims, powertrains, plants, option codes and their relations.

Loaded from `catalog.json` shipped in this package. Loading checks referential integrity and turns exclusive
option groups into symmetric `excludes` relations, so the rules engine only ever looks at `excludes`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("catalog.json")
POWERTRAIN_KINDS = frozenset({"ICE", "HEV", "PHEV", "BEV"})


class CatalogError(ValueError):
    """The catalog data is inconsistent (a dangling reference, an unknown kind)."""


@dataclass(frozen=True)
class CatalogEntry:
    """What every entry of the catalog has: the code it is keyed and referred to by, and a display name."""

    code: str
    name: str


@dataclass(frozen=True)
class Market(CatalogEntry):
    """A market model lines, powertrains and options are sold in."""


@dataclass(frozen=True)
class Powertrain(CatalogEntry):
    kind: str
    markets: frozenset[str] | None  # None: sold everywhere


@dataclass(frozen=True)
class Trim(CatalogEntry):
    standard_options: tuple[str, ...]


@dataclass(frozen=True)
class ModelLine(CatalogEntry):
    markets: frozenset[str]
    trims: tuple[str, ...]
    powertrains: tuple[str, ...]


@dataclass(frozen=True)
class Plant(CatalogEntry):
    model_lines: frozenset[str]
    powertrains: frozenset[str]
    capabilities: frozenset[str]


@dataclass(frozen=True)
class OptionSpec(CatalogEntry):
    """An option code and its relations; a `None` restriction means "no restriction"."""

    category: str
    group: str | None
    requires: tuple[str, ...]
    excludes: frozenset[str]
    alternatives: tuple[str, ...]
    markets: frozenset[str] | None
    model_lines: frozenset[str] | None
    trims: frozenset[str] | None
    powertrain_kinds: frozenset[str] | None
    plant_capability: str | None
    discontinuing: bool


@dataclass(frozen=True)
class Catalog:
    markets: Mapping[str, Market]
    powertrains: Mapping[str, Powertrain]
    trims: Mapping[str, Trim]
    model_lines: Mapping[str, ModelLine]
    plants: Mapping[str, Plant]
    options: Mapping[str, OptionSpec]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalog:
        markets = {code: Market(code, m["name"]) for code, m in data["markets"].items()}
        powertrains = {
            code: Powertrain(code, p["name"], p["kind"], _optional_set(p.get("markets")))
            for code, p in data["powertrains"].items()
        }
        trims = {
            code: Trim(code, t["name"], tuple(t["standardOptions"])) for code, t in data["trims"].items()
        }
        model_lines = {
            code: ModelLine(
                code, m["name"], frozenset(m["markets"]), tuple(m["trims"]), tuple(m["powertrains"])
            )
            for code, m in data["modelLines"].items()
        }
        plants = {
            code: Plant(
                code,
                p["name"],
                frozenset(p["modelLines"]),
                frozenset(p["powertrains"]),
                frozenset(p["capabilities"]),
            )
            for code, p in data["plants"].items()
        }
        options = _options_with_symmetric_excludes(data["options"])
        catalog = cls(markets, powertrains, trims, model_lines, plants, options)
        catalog.check_integrity()
        return catalog

    def check_integrity(self) -> None:
        """Raise `CatalogError` for any reference to a code the catalog does not define."""
        problems: list[str] = []

        def expect(codes: Iterable[str], known: Mapping[str, CatalogEntry], where: str) -> None:
            problems.extend(f"{where} refers to unknown {code!r}" for code in codes if code not in known)

        for p in self.powertrains.values():
            expect(p.markets or (), self.markets, f"powertrain {p.code} markets")
            if p.kind not in POWERTRAIN_KINDS:
                problems.append(f"powertrain {p.code} has unknown kind {p.kind!r}")
        for t in self.trims.values():
            expect(t.standard_options, self.options, f"trim {t.code} standardOptions")
        for m in self.model_lines.values():
            expect(m.markets, self.markets, f"model line {m.code} markets")
            expect(m.trims, self.trims, f"model line {m.code} trims")
            expect(m.powertrains, self.powertrains, f"model line {m.code} powertrains")
        for plant in self.plants.values():
            expect(plant.model_lines, self.model_lines, f"plant {plant.code} modelLines")
            expect(plant.powertrains, self.powertrains, f"plant {plant.code} powertrains")
        for o in self.options.values():
            where = f"option {o.code}"
            expect(o.requires, self.options, f"{where} requires")
            expect(o.excludes, self.options, f"{where} excludes")
            expect(o.alternatives, self.options, f"{where} alternatives")
            expect(o.markets or (), self.markets, f"{where} markets")
            expect(o.model_lines or (), self.model_lines, f"{where} modelLines")
            expect(o.trims or (), self.trims, f"{where} trims")
            if o.powertrain_kinds and not o.powertrain_kinds <= POWERTRAIN_KINDS:
                problems.append(f"{where} has unknown powertrain kinds {sorted(o.powertrain_kinds)}")
            if set(o.requires) & o.excludes:
                problems.append(f"{where} both requires and excludes {sorted(set(o.requires) & o.excludes)}")
        if problems:
            raise CatalogError("catalog is inconsistent: " + "; ".join(problems))


def _optional_set(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _options_with_symmetric_excludes(raw: Mapping[str, Any]) -> dict[str, OptionSpec]:
    excludes: dict[str, set[str]] = {code: set(o.get("excludes", ())) for code, o in raw.items()}
    groups: dict[str, list[str]] = {}
    for code, o in raw.items():
        if o.get("group"):
            groups.setdefault(o["group"], []).append(code)
    for members in groups.values():
        for code in members:
            excludes[code].update(m for m in members if m != code)
    for code, excluded in list(excludes.items()):
        for other in excluded:
            excludes.setdefault(other, set()).add(code)
    return {
        code: OptionSpec(
            code=code,
            name=o["name"],
            category=o["category"],
            group=o.get("group"),
            requires=tuple(o.get("requires", ())),
            excludes=frozenset(excludes[code]),
            alternatives=tuple(o.get("alternatives", ())),
            markets=_optional_set(o.get("markets")),
            model_lines=_optional_set(o.get("modelLines")),
            trims=_optional_set(o.get("trims")),
            powertrain_kinds=_optional_set(o.get("powertrainKinds")),
            plant_capability=o.get("plantCapability"),
            discontinuing=bool(o.get("discontinuing", False)),
        )
        for code, o in raw.items()
    }


@functools.cache
def default_catalog() -> Catalog:
    """The catalog shipped with the functions, parsed once per process."""
    with CATALOG_FILE.open(encoding="utf-8") as f:
        return Catalog.from_dict(json.load(f))
