"""The console's web/catalog.json is what the generator derives from the domain catalog, and every
per-market preset the submit form prefills is a buildable (VALID) configuration by the domain's own rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vehicle_config.catalog import default_catalog
from vehicle_config.console_catalog import REGENERATE, console_catalog_json
from vehicle_config.model import Configuration
from vehicle_config.rules import VALID, validate

from tests.support.local_cloud import ROOT

WEB_CATALOG_FILE = ROOT / "web" / "catalog.json"
WEB_CATALOG: dict[str, Any] = json.loads(WEB_CATALOG_FILE.read_text())


def test_the_committed_console_catalog_is_the_generated_one() -> None:
    assert WEB_CATALOG_FILE.read_text(encoding="utf-8") == console_catalog_json(), (
        f"web/catalog.json is stale: run `{REGENERATE}`"
    )


@pytest.mark.parametrize("market", sorted(default_catalog().markets))
def test_console_preset_is_buildable(market: str) -> None:
    preset = WEB_CATALOG["presets"][market]
    configuration = Configuration.from_dict(
        {"configurationId": f"cfg-preset-{market}", "market": market, **preset}
    )
    result = validate(configuration)
    assert result.outcome == VALID, result.to_dict()
