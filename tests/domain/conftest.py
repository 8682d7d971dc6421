"""Domain tests: the shipped catalog as a fixture."""

from __future__ import annotations

import pytest
from vehicle_config.catalog import Catalog, default_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()
