"""End to end: what a supply system puts goes through the supply ingress; nothing it refuses is lost.

The real AWS CLI puts, beside a well-formed supply constraint, ones whose values no event pattern can refuse
(a control character, a list of valid values in place of one) and one with a quote. The well-formed one
reaches a subscriber of `/plants/ZWI` as the ingress's checked event; each other one lands in the
rejected-notifications queue with the ingress's reasons, naming the field, and nothing reaches a socket or
the dead-letter queue half built.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_e2e_rejected_notifications import GOOD_SUPPLY, REJECTED_QUEUE, entry, put_and_receive
from tests.support.local_cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# (constraintId, the changed field and its value, the field the reasons must name)
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("sc-e2e-control", {"partNumber": "BAT\u0000MOD"}, "detail.partNumber"),
    ("sc-e2e-newline", {"severity": "HIGH\n"}, "detail.severity"),
    ("sc-e2e-list", {"plant": ["ZWI"]}, "detail.plant"),
    ("sc-e2e-quote", {"partNumber": 'BAT "86" MOD'}, "detail.partNumber"),
    ("sc-e2e-missing", {"priority": None}, "detail.priority"),
]


def refused_detail(constraint_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    detail = GOOD_SUPPLY | {"constraintId": constraint_id} | changes
    return {name: value for name, value in detail.items() if value is not None}


def rejected_bodies(cloud: RunningCloud, constraint_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The rejected queue's message bodies about these constraints, by constraintId, once all arrived."""

    def constraint_of(shown: dict[str, Any]) -> Any:
        return json.loads(shown["Body"]).get("event", {}).get("detail", {}).get("constraintId")

    found = cloud.queued_messages(REJECTED_QUEUE, constraint_of, constraint_ids)
    return {constraint_id: json.loads(shown["Body"]) for constraint_id, (_, shown) in found.items()}


def test_the_ingress_refuses_what_no_pattern_can_and_admits_the_rest(
    local_cloud: RunningCloud, tmp_path: Path
) -> None:
    token = local_cloud.token("supply-lead")
    good = GOOD_SUPPLY | {"constraintId": "sc-e2e-admitted"}
    entries = [
        entry("SupplyConstraintRaised", good),
        *(entry("SupplyConstraintRaised", refused_detail(cid, changes)) for cid, changes, _ in REFUSED),
    ]

    put_ids, received = put_and_receive(
        local_cloud, token, ("/plants/ZWI",), entries, tmp_path, expected=1, timeout=30, quiet=3
    )
    assert [n["constraintId"] for n in received] == ["sc-e2e-admitted"], local_cloud.log_tail()
    (notification,) = received
    assert notification["type"] == "SupplyConstraintRaised"
    assert notification["partNumber"] == good["partNumber"] and notification["priority"] == good["priority"]
    # The notification comes from the ingress's checked event, a new event on the bus.
    assert notification["eventId"] not in put_ids

    bodies = rejected_bodies(local_cloud, {cid for cid, _, _ in REFUSED})
    assert set(bodies) == {cid for cid, _, _ in REFUSED}, local_cloud.log_tail()
    for constraint_id, changes, field in REFUSED:
        body = bodies[constraint_id]
        assert "SupplyIngress" in body["rejectedBy"], body
        assert body["event"]["source"] == "vehicle-config.supply"
        assert body["event"]["id"] in put_ids
        assert body["event"]["detail"] == refused_detail(constraint_id, changes)
        assert [reason for reason in body["reasons"] if reason.startswith(f"{field}:")], body["reasons"]

    dead = local_cloud.vcn("dlq", "list", "--queue", "NotificationDeadLetterQueue").stdout
    assert not [line for line in dead.splitlines() if "sc-e2e" in line], dead
