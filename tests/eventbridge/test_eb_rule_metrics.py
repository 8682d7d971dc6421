"""What the local EventBridge counts per rule for AWS/Events: names, dimensions, retries, latency, and a
dead-letter queue that cannot be written."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.support.eventbridge import (
    Cloud,
    Reply,
    put_event,
    rule_to,
    sink_destination,
)
from vcn.eventbridge.journal import read_pending
from vcn.eventbridge.metrics import RULE_METRICS, rule_dimensions

DLQ_ARN = "arn:aws:sqs:us-east-1:000000000000:rule-dlq"


def target(destination: str, **extra: Any) -> dict[str, Any]:
    return {"Id": "sink", "Arn": destination, "DeadLetterConfig": {"Arn": DLQ_ARN}, **extra}


def test_a_rule_on_the_default_bus_reports_rule_name_alone_and_a_custom_bus_rule_both() -> None:
    assert rule_dimensions("arn:aws:events:us-east-1:000000000000:rule/shipped") == {"RuleName": "shipped"}
    assert rule_dimensions("arn:aws:events:us-east-1:000000000000:rule/orders/shipped") == {
        "EventBusName": "orders",
        "RuleName": "shipped",
    }


def test_rule_totals_use_cloudwatch_names_and_count_a_match_once(cloud: Cloud) -> None:
    cloud.call("CreateEventBus", {"Name": "orders"})
    destination = sink_destination(cloud)
    arn = rule_to(cloud, target(destination), bus="orders")
    cloud.call(
        "PutTargets",
        {"Rule": "r1", "EventBusName": "orders", "Targets": [{"Id": "second", "Arn": destination}]},
    )
    cloud.sink.script(Reply(500), Reply(200), Reply(200))  # one retry for one of the two targets
    put_event(cloud, bus="orders")
    cloud.loop.run(cloud.sink.wait_for(3))
    cloud.idle()
    totals = cloud.service.metrics.rule_totals()[arn]
    assert set(totals) == set(RULE_METRICS)
    assert totals["MatchedEvents"] == totals["TriggeredRules"] == 1  # once per event, not per target
    assert totals["Invocations"] == 2 and totals["FailedInvocations"] == 0
    assert totals["RetryInvocationAttempts"] == 1
    latencies = cloud.service.metrics.take_latencies()[arn]
    assert len(latencies) == 2 and all(0 <= latency < 5000 for latency in latencies)
    assert cloud.service.metrics.take_latencies() == {}  # taken: the next read starts afresh


def test_failures_and_dead_letters_are_counted_under_aws_names(cloud: Cloud) -> None:
    arn = rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(400))
    put_event(cloud)
    cloud.wait_until(lambda: len(cloud.service.dead_letters.list()) == 1)
    cloud.idle()
    totals = cloud.service.metrics.rule_totals()[arn]
    assert (totals["FailedInvocations"], totals["InvocationsSentToDlq"]) == (1, 1)
    assert cloud.service.dead_letters.visible_count("rule-dlq") == 1
    # The per-target JSON of `vcn metrics` keeps its historical name.
    [row] = cloud.service.metrics.snapshot()["targets"]
    assert row["InvocationsSentToDLQ"] == 1 and "InvocationsSentToDlq" not in row


def test_a_dead_letter_queue_that_cannot_be_written_is_counted_logged_and_the_delivery_kept(
    cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    arn = rule_to(cloud, target(sink_destination(cloud)))
    (cloud.state_dir / "dlq").mkdir(parents=True)
    (cloud.state_dir / "dlq" / "rule-dlq").write_text("a file where the queue's folder should be")
    cloud.sink.script(Reply(400))
    with caplog.at_level(logging.ERROR, logger="vcn.eventbridge"):
        event_id = put_event(cloud)
        cloud.wait_until(
            lambda: cloud.service.metrics.rule_totals().get(arn, {}).get("FailedInvocations") == 1
        )
        cloud.idle()
    totals = cloud.service.metrics.rule_totals()[arn]
    assert (totals["InvocationsFailedToBeSentToDlq"], totals["InvocationsSentToDlq"]) == (1, 0)
    kept = [record.getMessage() for record in caplog.records if "stays in the journal" in record.getMessage()]
    assert len(kept) == 1 and event_id in kept[0] and "rule-dlq" in kept[0]
    assert [row.event["id"] for row in read_pending(cloud.state_dir)] == [event_id]  # tried again next start


def test_visible_count_leaves_out_messages_a_redrive_holds(cloud: Cloud) -> None:
    store = cloud.service.dead_letters
    for index in range(3):
        store.send("q", body="{}", attributes={}, rule_arn="r", target_id="t", event={"id": str(index)})
    claims, _ = store.claim("q", [store.list("q")[0].message_id])
    assert store.visible_count("q") == 2 and store.visible_count("absent") == 0
    store.release(claims[0])
    assert store.visible_count("q") == 3
