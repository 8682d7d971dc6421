"""The local EventBridge of one test: `clouds` starts services on state folders, `cloud` one on tmp_path.

A module that needs another kind of cloud (other settings, an invoker) defines its own `cloud`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.eventbridge import Cloud, CloudFactory, cloud_factory


@pytest.fixture
def clouds() -> Iterator[CloudFactory]:
    yield from cloud_factory()


@pytest.fixture
def cloud(clouds: CloudFactory, tmp_path: Path) -> Cloud:
    return clouds(tmp_path)
