"""Request/reply test helpers: a configuration to submit, HTTP and IAM publish, EventBridge counters."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import requests
from appsync_events_client import EventsClient, IamAuth
from botocore.credentials import ReadOnlyCredentials
from requests_aws4auth import AWS4Auth

from tests.support.local_cloud import RunningCloud
from vcn.local.aws_env import LOCAL_IAM_CREDENTIALS


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
