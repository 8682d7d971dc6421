"""Fixtures for the client tests; the helpers live in cl_support (a unique module name)."""

from pathlib import Path

import pytest
from cl_support import LocalEventApi


@pytest.fixture
def local_api(tmp_path: Path) -> LocalEventApi:
    return LocalEventApi(tmp_path)
