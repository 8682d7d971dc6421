"""POST /validations on `vcn local up`: API -> subscribe /requests/<id> -> ValidationRequested -> worker ->
ConfigurationValidated -> reply rule -> API destination -> AppSync Events -> the waiting function.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest
from vehicle_config.model import Configuration
from vehicle_config.notifications import CONFIGURATION_VALIDATED, NOTIFICATIONS, REQUEST_CHANNEL
from vehicle_config.rules import validate

from tests.support.local_cloud import RunningCloud
from tests.support.request_reply import (
    configuration,
    iam_client,
    matched_validation_requests,
    post_json,
    publish_with_iam,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def validations_url(cloud: RunningCloud, wait: float | str | None = None) -> str:
    query = "" if wait is None else f"?wait={wait}"
    return f"{cloud.info['api']}/validations{query}"


async def request_validation(
    cloud: RunningCloud, token: str, body: Any, wait: float | str | None = None
) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        return await post_json(session, validations_url(cloud, wait), token, body)


def expected_result(body: dict[str, Any]) -> dict[str, Any]:
    """The fields the reply must carry, computed by the domain rules for the same configuration."""
    result = validate(Configuration.from_dict(body))
    return {
        "type": "ConfigurationValidated",
        "configurationId": body["configurationId"],
        "market": body["market"],
        "modelLine": body["modelLine"],
        "plant": body["plant"],
        "priority": body["priority"],
        "outcome": result.outcome,
        "violationCount": len(result.violations),
        "warningCount": len(result.warnings),
        "submittedBy": "analyst-de",
    }


def assert_answered(status: int, reply: dict[str, Any], body: dict[str, Any]) -> None:
    assert status == 200, reply
    assert reply["status"] == "COMPLETED"
    result = reply["result"]
    assert tuple(result) == NOTIFICATIONS[CONFIGURATION_VALIDATED].keys_on(REQUEST_CHANNEL)
    assert result["requestId"] == reply["requestId"]
    assert expected_result(body).items() <= result.items(), result
    assert result["eventId"]


def test_reply_within_the_wait_returns_the_validation_result(
    rr_cloud: RunningCloud, analyst_token: str
) -> None:
    before = matched_validation_requests(rr_cloud)
    body = configuration("cfg-rr-happy-0001")
    status, reply = asyncio.run(request_validation(rr_cloud, analyst_token, body, wait=10))
    assert_answered(status, reply, body)
    assert matched_validation_requests(rr_cloud) == before + 1  # exactly one ValidationRequested
    uuid.UUID(reply["requestId"])  # server-made, segment-safe


def test_an_invalid_configuration_is_answered_with_its_violations_counted(
    rr_cloud: RunningCloud, analyst_token: str
) -> None:
    body = configuration("cfg-rr-invalid-0001", options=["LASER-LIGHT", "SEAT-3ROW"])
    status, reply = asyncio.run(request_validation(rr_cloud, analyst_token, body))
    assert_answered(status, reply, body)
    assert reply["result"]["outcome"] == "INVALID"


@pytest.mark.parametrize(
    ("wait", "body_changes", "field"),
    [
        ("0", {}, "wait"),
        ("0.001", {}, "wait"),
        ("26", {}, "wait"),
        ("soon", {}, "wait"),
        ("5", {"market": "D E"}, "market"),
        ("5", {"requestId": "chosen-by-me"}, "requestId"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_emitted(
    rr_cloud: RunningCloud, analyst_token: str, wait: str, body_changes: dict[str, Any], field: str
) -> None:
    before = matched_validation_requests(rr_cloud)
    body = configuration("cfg-rr-bad-0001", **body_changes)
    status, reply = asyncio.run(request_validation(rr_cloud, analyst_token, body, wait=wait))
    assert status == 400, reply
    assert field in {error["field"] for error in reply["errors"]}, reply
    assert field in reply["message"]
    assert matched_validation_requests(rr_cloud) == before


def test_a_slow_worker_gives_202_and_the_result_still_arrives_on_the_channel(
    rr_cloud: RunningCloud, analyst_token: str
) -> None:
    body = configuration("FAULT-DELAY-3000-rr-slow")

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        status, reply = await request_validation(rr_cloud, analyst_token, body, wait=1)
        assert status == 202, reply
        async with iam_client(rr_cloud).connect() as connection:
            subscription = await connection.subscribe(reply["channel"])
            late = await subscription.get(timeout=30)
        return reply, late

    reply, late = asyncio.run(scenario())
    assert reply["status"] == "PENDING"
    assert reply["channel"] == f"/requests/{reply['requestId']}"
    assert reply["channel"] in reply["message"]
    assert late["requestId"] == reply["requestId"]
    assert expected_result(body).items() <= late.items()


def test_a_failing_worker_surfaces_as_202_after_the_wait(rr_cloud: RunningCloud, analyst_token: str) -> None:
    body = configuration("FAULT-RAISE-rr-broken")
    status, reply = asyncio.run(request_validation(rr_cloud, analyst_token, body, wait=1))
    assert status == 202, reply
    assert reply["status"] == "PENDING"
    assert reply["channel"] == f"/requests/{reply['requestId']}"


def test_concurrent_requests_each_get_their_own_answer(rr_cloud: RunningCloud, analyst_token: str) -> None:
    bodies = [
        configuration("cfg-rr-concurrent-a"),
        configuration("cfg-rr-concurrent-b", options=["LASER-LIGHT", "SEAT-3ROW"]),
    ]

    async def scenario() -> list[tuple[int, dict[str, Any]]]:
        return list(
            await asyncio.gather(*(request_validation(rr_cloud, analyst_token, b, wait=15) for b in bodies))
        )

    answers = asyncio.run(scenario())
    for (status, reply), body in zip(answers, bodies, strict=True):
        assert_answered(status, reply, body)
    assert answers[0][1]["requestId"] != answers[1][1]["requestId"]
    assert answers[0][1]["result"]["outcome"] != answers[1][1]["result"]["outcome"]


def test_a_reply_published_before_its_request_exists_is_never_consumed(
    rr_cloud: RunningCloud, analyst_token: str
) -> None:
    bodies = [configuration(f"cfg-rr-early-{index}") for index in range(2)]
    early_ids = [str(uuid.uuid4()) for _ in bodies]
    for early_id, body in zip(early_ids, bodies, strict=True):
        forged = {
            **expected_result(body),
            "eventId": str(uuid.uuid4()),
            "time": "2026-11-22T00:00:00Z",
            "outcome": "INVALID",
            "violationCount": 99,
            "requestId": early_id,
        }
        publish_with_iam(rr_cloud, f"/requests/{early_id}", [forged])

    async def scenario() -> list[tuple[int, dict[str, Any]]]:
        return list(
            await asyncio.gather(*(request_validation(rr_cloud, analyst_token, b, wait=15) for b in bodies))
        )

    for (status, reply), body in zip(asyncio.run(scenario()), bodies, strict=True):
        assert_answered(status, reply, body)
        assert reply["requestId"] not in early_ids
        assert reply["result"]["violationCount"] != 99
        assert json.dumps(reply).count("2026-11-22T00:00:00Z") == 0


def test_a_wait_no_reply_can_meet_is_a_400_stating_the_minimum_not_a_503(
    rr_cloud: RunningCloud, analyst_token: str
) -> None:
    before = matched_validation_requests(rr_cloud)
    status, reply = asyncio.run(
        request_validation(rr_cloud, analyst_token, configuration("cfg-rr-too-short"), wait="0.001")
    )
    assert (status, reply) == (
        400,
        {
            "message": "Invalid request: fix wait",
            "errors": [
                {
                    "field": "wait",
                    "message": "must be a number of seconds from 0.1 to 25, got '0.001': no reply can arrive "
                    "in under 0.1 s. Not to wait at all, POST /configurations/batches with a requestId and "
                    "subscribe to /requests/<requestId>",
                }
            ],
        },
    )
    assert matched_validation_requests(rr_cloud) == before
