"""The shipped catalog: its size, integrity and the relations the rules engine relies on."""

from __future__ import annotations

import json

import pytest
from vehicle_config.catalog import CATALOG_FILE, Catalog, CatalogError
from vehicle_config.fields import is_channel_segment, is_client_scalar


def test_catalog_is_rich_enough(catalog: Catalog) -> None:
    assert len(catalog.model_lines) >= 3
    assert len(catalog.options) >= 40
    assert len({t for line in catalog.model_lines.values() for t in line.trims}) >= 3
    assert len({p for line in catalog.model_lines.values() for p in line.powertrains}) >= 3
    assert sum(1 for o in catalog.options.values() if o.requires) >= 5
    assert sum(1 for o in catalog.options.values() if o.excludes) >= 10
    assert sum(1 for o in catalog.options.values() if o.alternatives) >= 10
    assert sum(1 for o in catalog.options.values() if o.markets is not None) >= 3
    assert sum(1 for o in catalog.options.values() if o.plant_capability is not None) >= 2


def test_codes_travel_safely_to_clients(catalog: Catalog) -> None:
    assert all(is_client_scalar(code) for code in catalog.options)
    assert all(is_client_scalar(code) for code in catalog.trims)
    assert all(is_client_scalar(code) for code in catalog.powertrains)
    for segments in (catalog.markets, catalog.model_lines, catalog.plants):
        assert all(is_channel_segment(code) for code in segments)


def test_exclusions_are_symmetric_and_groups_are_exclusive(catalog: Catalog) -> None:
    for option in catalog.options.values():
        for other in option.excludes:
            assert option.code in catalog.options[other].excludes
    assert "WHL-19" in catalog.options["WHL-21"].excludes


def test_standard_options_are_offered_on_every_model_line_with_that_trim(catalog: Catalog) -> None:
    for line in catalog.model_lines.values():
        for trim in line.trims:
            for code in catalog.trims[trim].standard_options:
                spec = catalog.options[code]
                assert spec.model_lines is None or line.code in spec.model_lines, (line.code, trim, code)
                assert spec.trims is None or trim in spec.trims, (line.code, trim, code)


def test_every_model_line_can_be_built_somewhere(catalog: Catalog) -> None:
    for line in catalog.model_lines.values():
        for powertrain in line.powertrains:
            assert any(
                line.code in p.model_lines and powertrain in p.powertrains for p in catalog.plants.values()
            )


def test_dangling_reference_is_reported() -> None:
    data = json.loads(CATALOG_FILE.read_text())
    data["options"]["ACC"]["requires"] = ["WARP-DRIVE"]
    data["modelLines"]["VELA"]["trims"].append("ULTRA")
    with pytest.raises(CatalogError) as raised:
        Catalog.from_dict(data)
    assert "WARP-DRIVE" in str(raised.value)
    assert "ULTRA" in str(raised.value)
