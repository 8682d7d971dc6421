"""Fixtures for the request/reply tests: one local cloud with the worker's test-only fault injection on.

The cloud starts with an `--env-vars` file that sets VALIDATION_FAULT_INJECTION=enabled on the validation
worker, so a configuration id can make the real worker slow (`FAULT-DELAY-<ms>-...`) or fail
(`FAULT-RAISE-...`); see functions/adapters/fault_injection.py. The template never sets it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import requests
from appsync_events_client import EventsClient, IamAuth
from botocore.credentials import ReadOnlyCredentials
from requests_aws4auth import AWS4Auth

from tests.e2e.conftest import RunningCloud, start_cloud, stop_cloud
from tests.support.function_environment import use_function_environment
from vcn.local.aws_env import LOCAL_IAM_CREDENTIALS

# test_rr_handler imports the configuration API in this process; it reads its settings at import.
use_function_environment()

FAULT_INJECTION_ENV_VARS = {"ValidationWorkerFunction": {"VALIDATION_FAULT_INJECTION": "enabled"}}


@pytest.fixture(scope="session")
def rr_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    folder = tmp_path_factory.mktemp("rr-cloud")
    env_vars = folder / "env.json"
    env_vars.write_text(json.dumps(FAULT_INJECTION_ENV_VARS))
    cloud = start_cloud(folder / "state", "--env-vars", str(env_vars))
    try:
        yield cloud
    finally:
        stop_cloud(cloud)


@pytest.fixture(scope="session")
def analyst_token(rr_cloud: RunningCloud) -> str:
    return rr_cloud.token("analyst-de")


def configuration(configuration_id: str, **changes: Any) -> dict[str, Any]:
    """A DE configuration (options from the events/ sample); `changes` override its fields."""
    return {
        "configurationId": configuration_id,
        "market": "DE",
        "modelLine": "VELA",
        "trim": "SPORT",
        "powertrain": "PHEV",
        "plant": "WOB",
        "options": ["WHL-20", "ROOF-PANO", "SEAT-HEAT", "ACC", "LKA"],
        "priority": "HIGH",
        **changes,
    }


async def post_json(
    session: aiohttp.ClientSession, url: str, token: str, body: Any
) -> tuple[int, dict[str, Any]]:
    async with session.post(
        url, data=json.dumps(body), headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json(content_type=None)


def publish_with_iam(cloud: RunningCloud, channel: str, events: list[Any]) -> dict[str, Any]:
    """HTTP publish signed with SigV4 (requests-aws4auth) using the credentials the local cloud accepts."""
    ((access_key, secret),) = LOCAL_IAM_CREDENTIALS.items()
    auth = AWS4Auth(access_key, secret, cloud.info["region"], "appsync")
    body = {"channel": channel, "events": [json.dumps(event) for event in events]}
    response = requests.post(
        cloud.info["appsync"]["http"],
        data=json.dumps(body),
        headers={"content-type": "application/json"},
        auth=auth,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def iam_client(cloud: RunningCloud) -> EventsClient:
    """The project's AppSync Events client, signing as the local Lambda functions do."""
    ((access_key, secret),) = LOCAL_IAM_CREDENTIALS.items()
    credentials = ReadOnlyCredentials(access_key, secret, None)
    return EventsClient(
        cloud.info["appsync"]["http"], cloud.info["appsync"]["realtime"], IamAuth(credentials, "us-east-1")
    )


def matched_validation_requests(cloud: RunningCloud) -> int:
    """How many events the ValidationRequested rule has matched so far (EventBridge's own counter)."""
    metrics = requests.get(f"{cloud.info['eventbridge']}/_vcn/metrics", timeout=10).json()
    return sum(
        target["MatchedEvents"]
        for target in metrics["targets"]
        if "ValidationWorkerFunctionValidationRequested" in target["RuleArn"]
    )
