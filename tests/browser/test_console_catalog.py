"""The console's web/catalog.json agrees with the domain catalog, and every per-market preset the submit form
prefills is a buildable (VALID) configuration by the domain's own rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vehicle_config.catalog import default_catalog
from vehicle_config.model import Configuration
from vehicle_config.rules import VALID, validate

from tests.e2e.conftest import ROOT

WEB_CATALOG: dict[str, Any] = json.loads((ROOT / "web" / "catalog.json").read_text())


def test_console_catalog_matches_the_domain_catalog() -> None:
    domain = default_catalog()
    assert WEB_CATALOG["markets"] == {code: m.name for code, m in domain.markets.items()}
    assert WEB_CATALOG["trims"] == {code: t.name for code, t in domain.trims.items()}
    assert WEB_CATALOG["powertrains"] == {code: p.name for code, p in domain.powertrains.items()}
    assert WEB_CATALOG["options"] == {code: o.name for code, o in domain.options.items()}
    for code, line in domain.model_lines.items():
        web_line = WEB_CATALOG["modelLines"][code]
        assert (web_line["name"], set(web_line["markets"])) == (line.name, set(line.markets))
        assert (web_line["trims"], web_line["powertrains"]) == (list(line.trims), list(line.powertrains))
    assert set(WEB_CATALOG["modelLines"]) == set(domain.model_lines)
    for code, plant in domain.plants.items():
        web_plant = WEB_CATALOG["plants"][code]
        assert set(web_plant["modelLines"]) == plant.model_lines
        assert set(web_plant["powertrains"]) == plant.powertrains
    assert set(WEB_CATALOG["plants"]) == set(domain.plants)


@pytest.mark.parametrize("market", sorted(default_catalog().markets))
def test_console_preset_is_buildable(market: str) -> None:
    preset = WEB_CATALOG["presets"][market]
    configuration = Configuration.from_dict(
        {"configurationId": f"cfg-preset-{market}", "market": market, **preset}
    )
    result = validate(configuration)
    assert result.outcome == VALID, result.to_dict()
