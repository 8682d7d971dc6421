"""End to end on `vcn local up`: producer -> EventBridge -> API destination -> AppSync Events -> socket."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from vehicle_config.notifications import CONFIGURATION_VALIDATED, MARKET_CHANNEL, NOTIFICATIONS

from tests.support.local_cloud import AWS, ROOT, RawSubscriber, RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PUT_EVENTS = ROOT / "events" / "put-events"


def _entries_file(detail_type: str) -> tuple[Path, dict[str, Any]]:
    for path in sorted(PUT_EVENTS.glob("*.json")):
        document = json.loads(path.read_text())
        entries = document["Entries"] if isinstance(document, dict) else document
        if len(entries) == 1 and entries[0]["DetailType"] == detail_type:
            return path, entries[0]
    raise AssertionError(f"no single-entry {detail_type} file in {PUT_EVENTS}")


def test_aws_cli_put_events_reaches_a_market_subscriber(local_cloud: RunningCloud) -> None:
    path, entry = _entries_file(CONFIGURATION_VALIDATED)
    detail = json.loads(entry["Detail"])
    channel = MARKET_CHANNEL.format_map(detail)
    token = local_cloud.token("admin")

    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with RawSubscriber(local_cloud.info["appsync"]["realtime"], token) as subscriber:
            reply = await subscriber.subscribe(channel)
            assert reply["type"] == "subscribe_success", reply
            sent = await asyncio.to_thread(
                subprocess.run,
                [
                    AWS, "events", "put-events",
                    "--entries", f"file://{path}",
                    "--endpoint-url", local_cloud.info["eventbridge"],
                    "--output", "json",
                ],
                capture_output=True, text=True, timeout=60, env=local_cloud.aws_env(),
            )  # fmt: skip
            assert sent.returncode == 0, sent.stderr
            response = json.loads(sent.stdout)
            received = await subscriber.notifications(1, timeout=20)
            received += await subscriber.notifications(1, timeout=1)  # nothing more may arrive
            return received, response

    received, response = asyncio.run(scenario())
    assert response["FailedEntryCount"] == 0
    assert len(received) == 1, received
    notification = received[0]
    assert tuple(notification) == NOTIFICATIONS[CONFIGURATION_VALIDATED].keys_on(MARKET_CHANNEL)
    assert notification["type"] == CONFIGURATION_VALIDATED
    assert notification["eventId"] == response["Entries"][0]["EventId"]
    assert notification["time"].endswith("Z")
    carried = {key: value for key, value in notification.items() if key not in ("type", "eventId", "time")}
    assert carried == {key: detail[key] for key in carried}


def test_validate_request_notifies_the_submitter(local_cloud: RunningCloud) -> None:
    request = json.loads(
        (ROOT / "events" / "invoke" / "configuration-api-validate-with-fixes.json").read_text()
    )
    body = json.loads(request["body"])
    user = "analyst-us"
    token = local_cloud.token(user)

    async def scenario() -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
        async with RawSubscriber(local_cloud.info["appsync"]["realtime"], token) as subscriber:
            reply = await subscriber.subscribe(f"/users/{user}")
            assert reply["type"] == "subscribe_success", reply
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    local_cloud.info["api"] + "/configurations/validate",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                ) as response,
            ):
                status, result = response.status, await response.json()
            expected = 1 + len(result.get("recommendations", []))
            received = await subscriber.notifications(expected, timeout=30)
            received += await subscriber.notifications(1, timeout=1)
            return status, result, received

    status, result, received = asyncio.run(scenario())
    assert status == 200, result
    recommendations = result["recommendations"]
    assert recommendations, "the sample configuration must yield recommendations"
    kinds = sorted(notification["type"] for notification in received)
    assert kinds == sorted(["ConfigurationValidated"] + ["SpecAdjustmentRecommended"] * len(recommendations))
    assert all(notification["submittedBy"] == user for notification in received)
    validated = next(n for n in received if n["type"] == "ConfigurationValidated")
    assert validated["configurationId"] == body["configurationId"] and validated["market"] == body["market"]


def test_validate_without_a_token_is_unauthorized(local_cloud: RunningCloud) -> None:
    async def scenario() -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(local_cloud.info["api"] + "/configurations/validate", json={}) as response,
        ):
            return response.status, await response.json()

    assert asyncio.run(scenario()) == (401, {"message": "Unauthorized"})


def test_token_without_the_market_is_refused(local_cloud: RunningCloud) -> None:
    token = local_cloud.token("analyst-fr")

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with RawSubscriber(local_cloud.info["appsync"]["realtime"], token) as subscriber:
            refused = await subscriber.subscribe("/markets/DE/VELA")
            allowed = await subscriber.subscribe("/markets/FR/VELA")
            return refused, allowed

    refused, allowed = asyncio.run(scenario())
    assert refused["type"] == "subscribe_error", refused
    assert refused["errors"][0]["errorType"] == "Unauthorized"
    # The guard answered {"error": ..} (a denial, no Lambda error); a raised exception would read differently.
    assert refused["errors"][0]["message"] == "SubscriptionDenied - You may not subscribe to /markets/DE/VELA"
    assert allowed["type"] == "subscribe_success", allowed
