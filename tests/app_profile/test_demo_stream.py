"""The demo stream of the app profile: realistic, catalog-consistent domain events the rules route safely."""

from __future__ import annotations

import asyncio
import json
import random
import re
from pathlib import Path
from typing import Any

from vehicle_config.fields import CHANNEL_SEGMENT_FIELDS
from vehicle_config.notifications import NOTIFICATIONS

from app_profile.demo_stream import VehicleConfigDemo
from vcn.local.demo import run_demo

CATALOG = json.loads(Path("functions/vehicle_config/catalog.json").read_text())
SCALAR = re.compile(r"^[A-Za-z0-9._:-]+$")
SEGMENT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$")
# Every demo event reaches clients, so it has exactly the fields of its notification contract.
REQUIRED = {detail_type: set(n.detail_fields) for detail_type, n in NOTIFICATIONS.items()}


def _batches(count: int, seed: int) -> list[list[dict[str, Any]]]:
    stream = VehicleConfigDemo("vehicle-config", random.Random(seed))
    return [stream.next_batch() for _ in range(count)]


def test_every_event_follows_the_domain_catalog() -> None:
    raised: set[str] = set()
    kinds: set[str] = set()
    for batch in _batches(400, seed=7):
        assert 1 <= len(batch) <= 10
        for entry in batch:
            detail = json.loads(entry["Detail"])
            kind = entry["DetailType"]
            kinds.add(kind)
            assert entry["EventBusName"] == "vehicle-config"
            assert set(detail) == REQUIRED[kind], kind
            for name, value in detail.items():
                if isinstance(value, str):
                    assert SCALAR.match(value), (name, value)
                if name in CHANNEL_SEGMENT_FIELDS:
                    assert SEGMENT.match(value), (name, value)
            assert detail["priority"] in ("LOW", "NORMAL", "HIGH", "URGENT")
            if "market" in detail:
                assert detail["market"] in CATALOG["markets"]
                assert detail["market"] in CATALOG["modelLines"][detail["modelLine"]]["markets"]
            if kind == "ConfigurationValidated":
                assert detail["modelLine"] in CATALOG["plants"][detail["plant"]]["modelLines"]
                assert (detail["outcome"] == "INVALID") == (detail["violationCount"] > 0)
            if kind.startswith("SupplyConstraint"):
                assert detail["plant"] in CATALOG["plants"]
                assert detail["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL")
            if kind == "SupplyConstraintRaised":
                raised.add(detail["constraintId"])
            if kind == "SupplyConstraintCleared":
                assert detail["constraintId"] in raised, "only raised constraints are cleared"
                raised.discard(detail["constraintId"])
            if kind == "SpecAdjustmentRecommended":
                for option in (detail["fromOption"], detail["toOption"]):
                    assert option == "NONE" or option in CATALOG["options"]
    assert kinds == set(REQUIRED)


def test_recommendations_follow_their_configuration() -> None:
    for batch in _batches(200, seed=3):
        first = json.loads(batch[0]["Detail"])
        for entry in batch[1:]:
            detail = json.loads(entry["Detail"])
            assert entry["DetailType"] == "SpecAdjustmentRecommended"
            assert detail["configurationId"] == first["configurationId"]
            assert detail["submittedBy"] == first["submittedBy"]


def test_run_demo_sends_until_the_count_and_logs_where_events_go() -> None:
    sent: list[list[dict[str, Any]]] = []

    async def put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
        sent.append(entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": str(i)} for i in range(len(entries))]}

    source = VehicleConfigDemo("bus-x", random.Random(1))
    count = asyncio.run(run_demo(put_events, source, rate=1000, stop=asyncio.Event(), count=5))
    assert count == 5 and len(sent) == 5
    assert all(entry["EventBusName"] == "bus-x" for batch in sent for entry in batch)
    assert " -> /" in source.describe(sent[0])
