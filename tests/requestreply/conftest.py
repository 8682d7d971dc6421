"""Fixtures for the request/reply tests: one local cloud with the worker's test-only fault injection on.

The cloud starts with an `--env-vars` file that sets VALIDATION_FAULT_INJECTION=enabled on the validation
worker, so a configuration id can make the real worker slow (`FAULT-DELAY-<ms>-...`) or fail
(`FAULT-RAISE-...`); see functions/adapters/fault_injection.py. The template never sets it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.function_environment import use_function_environment
from tests.support.local_cloud import RunningCloud, cloud_running

# test_rr_handler imports the configuration API in this process; it reads its settings at import.
use_function_environment()

FAULT_INJECTION_ENV_VARS = {"ValidationWorkerFunction": {"VALIDATION_FAULT_INJECTION": "enabled"}}


@pytest.fixture(scope="session")
def rr_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    folder = tmp_path_factory.mktemp("rr-cloud")
    env_vars = folder / "env.json"
    env_vars.write_text(json.dumps(FAULT_INJECTION_ENV_VARS))
    with cloud_running(folder / "state", "--env-vars", str(env_vars)) as cloud:
        yield cloud


@pytest.fixture(scope="session")
def analyst_token(rr_cloud: RunningCloud) -> str:
    return rr_cloud.token("analyst-de")
