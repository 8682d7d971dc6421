"""Fixtures for end-to-end tests: one `vcn local up` on free ports for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.local_cloud import RunningCloud, start_cloud, stop_cloud


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    cloud = start_cloud(tmp_path_factory.mktemp("cloud") / "state")
    try:
        yield cloud
    finally:
        stop_cloud(cloud)
