"""The supply ingress handler against the local EventBridge and its queues, through real boto3 clients.

An admitted supply event goes back on the bus as the canonical checked event (a rule of the bus sends it to a
queue here, so the test sees what the bus got); a refused one is sent to the rejected queue with the
function's name, every reason and the whole event; an entry EventBridge keeps failing raises, so Lambda
retries the invocation and then keeps it in the function's dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from adapters.event_publisher import EventBridgePublisher, PublishError
from handlers import supply_ingress

from tests.support.boto_clients import local_client
from tests.support.eventbridge import Cloud, CloudFactory, events_client, rule_to
from tests.support.lambda_functions import FakeLambdaContext

CHECKED_QUEUE = "checked-events"
REJECTED_QUEUE = supply_ingress.settings.rejected_queue_url.rsplit("/", 1)[-1]
DETAIL: dict[str, Any] = {
    "constraintId": "sc-fn-1",
    "plant": "ZWI",
    "partNumber": "BAT-MOD-86KWH-7731",
    "severity": "HIGH",
    "affectedConfigurations": ["cfg-1"],
    "priority": "URGENT",
}


def supply_event(**changes: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "1b7f6a2e-0000-4000-8000-000000000001",
        "detail-type": "SupplyConstraintRaised",
        "source": "vehicle-config.supply",
        "account": "000000000000",
        "time": "2026-11-30T02:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {**DETAIL, **changes},
    }


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    factory = CloudFactory()
    local = factory(tmp_path)
    rule_to(
        local,
        {"Id": "checked", "Arn": f"arn:aws:sqs:us-east-1:000000000000:{CHECKED_QUEUE}"},
        pattern={"source": ["vehicle-config.supply.checked"]},
    )
    publisher = EventBridgePublisher("default", events_client(local.url))
    sqs = local_client("sqs", local.url)
    monkeypatch.setattr(supply_ingress, "event_publisher", lambda: publisher)
    monkeypatch.setattr(supply_ingress, "rejected_queue", lambda: sqs)
    try:
        yield local
    finally:
        factory.close()


def test_an_admitted_event_goes_back_on_the_bus_as_the_checked_event(
    cloud: Cloud, lambda_context: FakeLambdaContext
) -> None:
    answer = supply_ingress.handler(supply_event(), lambda_context)
    assert answer["admitted"] is True and len(answer["eventIds"]) == 1
    store = cloud.service.dead_letters
    cloud.wait_until(lambda: len(store.list(CHECKED_QUEUE)) == 1)
    (message,) = store.list(CHECKED_QUEUE)
    checked = json.loads(message.body)
    assert (checked["id"], checked["source"]) == (answer["eventIds"][0], "vehicle-config.supply.checked")
    assert (checked["detail-type"], checked["detail"]) == ("SupplyConstraintRaised", DETAIL)
    assert store.list(REJECTED_QUEUE) == []


def test_a_refused_event_is_kept_with_every_reason_and_never_put_back(
    cloud: Cloud, lambda_context: FakeLambdaContext
) -> None:
    event = supply_event(partNumber="BAT\u0000MOD", plant=["ZWI"])
    answer = supply_ingress.handler(event, lambda_context)
    assert answer["admitted"] is False
    (message,) = cloud.service.dead_letters.list(REJECTED_QUEUE)
    body = json.loads(message.body)
    assert body["rejectedBy"] == lambda_context.function_name
    assert body["event"] == event
    assert {reason.split(":")[0] for reason in body["reasons"]} == {"detail.partNumber", "detail.plant"}
    assert body["reasons"] == answer["reasons"]
    cloud.idle()
    assert cloud.service.dead_letters.list(CHECKED_QUEUE) == []


class FailingPutEvents:
    """EventBridge failing every entry with a transient code (FailedEntryCount > 0)."""

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        failed = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
        return {"FailedEntryCount": len(Entries), "Entries": [failed for _ in Entries]}


def test_a_put_back_eventbridge_keeps_failing_raises_so_lambda_retries_it(
    cloud: Cloud, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = EventBridgePublisher("default", FailingPutEvents(), sleep=lambda _: None)
    monkeypatch.setattr(supply_ingress, "event_publisher", lambda: failing)
    with pytest.raises(PublishError, match="InternalFailure"):
        supply_ingress.handler(supply_event(), lambda_context)
    assert cloud.service.dead_letters.list(REJECTED_QUEUE) == []
