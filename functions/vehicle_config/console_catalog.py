"""The catalog the analyst console's submit form reads (web/catalog.json), derived from the domain catalog.

`make catalog` (`python -m vehicle_config.console_catalog > web/catalog.json`, with functions/ on the path)
regenerates the committed file, and a test fails while it is stale. Names, model lines and plants come from
`default_catalog()`; the one buildable preset per market that the form prefills is declared here (a test
validates every preset with the domain's rules).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from vehicle_config.catalog import Catalog, CatalogEntry, default_catalog

REGENERATE = "make catalog"


def _preset(model_line: str, trim: str, powertrain: str, plant: str, *options: str) -> dict[str, Any]:
    return {
        "modelLine": model_line,
        "trim": trim,
        "powertrain": powertrain,
        "plant": plant,
        "options": [*options],
    }


# What the form prefills for each market: buildable (VALID) with the domain's rules.
PRESETS: Mapping[str, Mapping[str, Any]] = {
    "DE": _preset("ARC", "STYLE", "HEV", "ZWI", "ACC", "LKA", "SEAT-HEAT"),
    "FR": _preset("ARC", "STYLE", "P15", "WOB", "ACC", "LKA", "PARK-ASSIST"),
    "GB": _preset("VELA", "STYLE", "HEV", "WOB", "ACC", "LKA"),
    "IT": _preset("VELA", "STYLE", "D20", "WOB", "ACC", "PARK-ASSIST"),
    "ES": _preset("ARC", "BASE", "P15", "WOB", "ACC", "SEAT-HEAT"),
    "US": _preset("VELA", "STYLE", "P20", "CHA", "ACC", "LKA"),
    "CN": _preset("NOVA", "STYLE", "BEV-LR", "ANT", "ACC", "LKA"),
}


def console_catalog(catalog: Catalog | None = None) -> dict[str, Any]:
    """The JSON document the console reads: codes with names, what each model line and plant offers."""
    catalog = catalog or default_catalog()
    return {
        "_about": f"Generated from functions/vehicle_config/catalog.json by `{REGENERATE}`; do not edit.",
        "markets": _names(catalog.markets),
        "modelLines": {
            code: {
                "name": line.name,
                "markets": _in_catalog_order(line.markets, catalog.markets),
                "trims": list(line.trims),
                "powertrains": list(line.powertrains),
            }
            for code, line in catalog.model_lines.items()
        },
        "trims": _names(catalog.trims),
        "powertrains": _names(catalog.powertrains),
        "plants": {
            code: {
                "name": plant.name,
                "modelLines": _in_catalog_order(plant.model_lines, catalog.model_lines),
                "powertrains": _in_catalog_order(plant.powertrains, catalog.powertrains),
            }
            for code, plant in catalog.plants.items()
        },
        "options": _names(catalog.options),
        "presets": {market: dict(PRESETS[market]) for market in catalog.markets if market in PRESETS},
    }


def console_catalog_json(catalog: Catalog | None = None) -> str:
    """web/catalog.json exactly as committed."""
    return json.dumps(console_catalog(catalog), indent=1, ensure_ascii=False) + "\n"


def _names(entries: Mapping[str, CatalogEntry]) -> dict[str, str]:
    return {code: entry.name for code, entry in entries.items()}


def _in_catalog_order(codes: Iterable[str], order: Mapping[str, Any]) -> list[str]:
    # The domain keeps these as sets; the catalog's own order makes the file stable from run to run.
    chosen = set(codes)
    return [code for code in order if code in chosen]


if __name__ == "__main__":
    sys.stdout.write(console_catalog_json())
