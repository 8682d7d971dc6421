"""Fixtures for end-to-end tests: one `vcn local up` on free ports for the session, and one a module may
have to itself that retries failed deliveries fast."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.support.local_cloud import RunningCloud, cloud_running


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with cloud_running(tmp_path_factory.mktemp("cloud") / "state") as cloud:
        yield cloud


@pytest.fixture(scope="module")
def fast_retry_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """A cloud of the module's own whose deliveries retry fast: the template's RetryPolicy (8 retries)
    stays, only the backoff base shrinks from 1 s to 10 ms. Stopped with SIGTERM, which shuts down as
    cleanly as Ctrl-C."""
    state = tmp_path_factory.mktemp("fast-retry") / "state"
    with cloud_running(state, "--retry-base-seconds", "0.01", stop_with=signal.SIGTERM) as cloud:
        yield cloud
