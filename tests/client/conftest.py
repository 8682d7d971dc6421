"""Fixtures for the client tests; the helpers live in tests/support/event_api.py."""

from pathlib import Path

import pytest

from tests.support.event_api import LocalEventApi


@pytest.fixture
def local_api(tmp_path: Path) -> LocalEventApi:
    return LocalEventApi(tmp_path)
