"""End to end: validation events that would break a notification body are rejected by a rule, not lost.

Only the project's functions may put `vehicle-config.validation` in AWS (the bus policy); the local cloud does
not enforce bus policies, so the AWS CLI stands in for a function gone wrong and puts, next to well-formed
events, ConfigurationValidated events without violationCount or with a `"` or a `\\` in a value: the guards
are defence in depth. The well-formed ones reach a subscriber; the others land in the rejected-notifications
queue, each with the rule that rejected it and, from `vcn dlq`, the condition that failed; none reaches a
socket or the dead-letter queue half built. (What supply systems put goes through the supply ingress:
`test_e2e_supply_ingress`.)
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_cloud import AWS, RawSubscriber, RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REJECTED_QUEUE = "RejectedNotificationQueue"

GOOD_SUPPLY: dict[str, Any] = {
    "constraintId": "sc-e2e-good",
    "plant": "ZWI",
    "partNumber": "BAT-MOD-86KWH-7731",
    "severity": "HIGH",
    "affectedConfigurations": [],
    "priority": "HIGH",
}
GOOD_VALIDATION: dict[str, Any] = {
    "configurationId": "cfg-e2e-good",
    "market": "US",
    "modelLine": "TERRA",
    "plant": "CHA",
    "outcome": "VALID",
    "violationCount": 0,
    "warningCount": 1,
    "submittedBy": "analyst-us",
    "priority": "NORMAL",
}
# (detail-type, detail, the condition `vcn dlq` must name)
BAD: list[tuple[str, dict[str, Any], str]] = [
    (
        "ConfigurationValidated",
        {key: value for key, value in GOOD_VALIDATION.items() if key != "violationCount"}
        | {"configurationId": "cfg-e2e-no-count"},
        'detail.violationCount {"exists": false}',
    ),
    (
        "ConfigurationValidated",
        GOOD_VALIDATION | {"configurationId": "cfg-e2e-quote", "plant": 'CH"A'},
        'detail.plant {"wildcard": "*\\"*"}',
    ),
    (
        "ConfigurationValidated",
        GOOD_VALIDATION | {"configurationId": "cfg-e2e-backslash", "plant": "CH\\A"},
        'detail.plant {"wildcard": "*\\\\\\\\*"}',
    ),
]


def entry(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    source = "vehicle-config.supply" if detail_type.startswith("Supply") else "vehicle-config.validation"
    return {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "EventBusName": "vehicle-config",
    }


def put_events(cloud: RunningCloud, entries: list[dict[str, Any]], tmp_path: Path) -> list[str]:
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(entries))
    sent = subprocess.run(
        [
            AWS, "events", "put-events", "--entries", f"file://{path}",
            "--endpoint-url", cloud.info["eventbridge"], "--output", "json",
        ],
        capture_output=True, text=True, timeout=60, env=cloud.aws_env(),
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    response = json.loads(sent.stdout)
    assert response["FailedEntryCount"] == 0, response
    return [item["EventId"] for item in response["Entries"]]


def put_and_receive(
    cloud: RunningCloud,
    token: str,
    channels: tuple[str, ...],
    entries: list[dict[str, Any]],
    tmp_path: Path,
    *,
    expected: int,
    timeout: float,
    quiet: float,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Subscribe to `channels`, put `entries` with the AWS CLI, and return the put event ids and the
    `expected` notifications, plus whatever else arrives in the `quiet` seconds after (nothing should)."""

    async def scenario() -> tuple[list[str], list[dict[str, Any]]]:
        async with RawSubscriber(cloud.info["appsync"]["realtime"], token) as subscriber:
            for channel in channels:
                reply = await subscriber.subscribe(channel)
                assert reply["type"] == "subscribe_success", reply
            ids = await asyncio.to_thread(put_events, cloud, entries, tmp_path)
            received = await subscriber.notifications(expected, timeout=timeout)
            received += await subscriber.notifications(1, timeout=quiet)  # nothing else may arrive
            return ids, received

    return asyncio.run(scenario())


def event_id_of(shown: dict[str, Any]) -> Any:
    """The id of the event a rejected rule kept; None for what a function sent (the supply ingress's refusals
    share the queue, and other tests of this cloud may have left some there)."""
    return shown.get("Redrive", {}).get("Event", {}).get("id")


def test_unsafe_events_are_rejected_with_the_reason_and_good_ones_delivered(
    local_cloud: RunningCloud, tmp_path: Path
) -> None:
    token = local_cloud.token("admin")
    entries = [
        entry("SupplyConstraintRaised", GOOD_SUPPLY),
        entry("ConfigurationValidated", GOOD_VALIDATION),
        *(entry(detail_type, detail) for detail_type, detail, _ in BAD),
    ]

    event_ids, received = put_and_receive(
        local_cloud, token, ("/plants/*", "/markets/US/*"), entries, tmp_path, expected=2, timeout=20, quiet=2
    )
    good_ids, bad_ids = event_ids[:2], event_ids[2:]
    # The supply constraint is notified from the supply ingress's checked event, a new event on the bus.
    assert [n["eventId"] for n in received if "configurationId" in n] == [good_ids[1]]
    assert {n.get("constraintId") or n.get("configurationId") for n in received} == {
        "sc-e2e-good",
        "cfg-e2e-good",
    }

    rejected = local_cloud.queued_messages(REJECTED_QUEUE, event_id_of, set(bad_ids), timeout=30)
    assert len(rejected) == len(BAD), rejected
    for line, shown in rejected.values():
        event = shown["Redrive"]["Event"]
        (_, _, condition) = BAD[bad_ids.index(event["id"])]
        assert f"matched {condition}" in line, line
        assert condition in shown["MatchedBy"]
        body = json.loads(shown["Body"])  # the rejected rule's InputTransformer: the whole event and why
        assert body["rejectedBy"].endswith("RejectedRule") and body["event"] == event
        assert "would break the publish body" in body["reason"]

    dead = local_cloud.vcn("dlq", "list", "--queue", "NotificationDeadLetterQueue").stdout
    for message_id in (
        line.split()[0] for line in dead.splitlines() if line.strip() != "no dead-letter messages"
    ):
        shown = json.loads(local_cloud.vcn("dlq", "show", message_id).stdout)
        assert shown["Redrive"]["Event"]["id"] not in event_ids, "nothing may be half delivered"
