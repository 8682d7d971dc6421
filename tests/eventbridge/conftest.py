"""The local EventBridge of one test: `clouds` starts services on state folders, `cloud` one on tmp_path,
`events` a boto3 client on a module's cloud.

A module that needs another kind of cloud (other settings, an invoker, one for all its tests:
`module_cloud`) defines its own `cloud`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.eventbridge import Cloud, CloudFactory, cloud_factory, events_client


@pytest.fixture
def clouds() -> Iterator[CloudFactory]:
    yield from cloud_factory()


@pytest.fixture
def cloud(clouds: CloudFactory, tmp_path: Path) -> Cloud:
    return clouds(tmp_path)


@pytest.fixture(scope="module")
def events(cloud: Cloud) -> Any:
    """boto3 on the module's cloud, for modules whose `cloud` is module-scoped."""
    return events_client(cloud.url)
