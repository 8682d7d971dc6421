"""SQS queue targets: a matched event becomes one message in the local queue store, with the target's input
as its body and no EventBridge attributes, counted as an invocation; `$or` explanations name the branch."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.boto_clients import local_client
from tests.support.eventbridge import Cloud, put_event, rule_to
from vcn.eventbridge.pattern_explain import matched_conditions

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:held-events"


def test_a_queue_target_receives_the_transformed_event_as_one_message(cloud: Cloud) -> None:
    rule_arn = rule_to(
        cloud,
        {
            "Id": "hold",
            "Arn": QUEUE_ARN,
            "InputTransformer": {
                "InputPathsMap": {"size": "$.detail.size"},
                "InputTemplate": (
                    '{"rule": "<aws.events.rule-name>", "size": <size>, "event": <aws.events.event.json>}'
                ),
            },
        },
    )
    event_id = put_event(cloud, {"size": 3})
    store = cloud.service.dead_letters
    cloud.wait_until(lambda: len(store.list("held-events")) == 1)
    (message,) = store.list("held-events")
    body = json.loads(message.body)
    assert (body["rule"], body["size"], body["event"]["id"]) == ("r1", 3, event_id)
    assert message.attributes == {}  # SQS targets carry no EventBridge attributes (dead letters do)
    assert (message.rule_arn, message.target_id, message.event["id"]) == (rule_arn, "hold", event_id)
    assert cloud.service.metrics.get(rule_arn, "hold", "Invocations") == 1
    assert cloud.service.metrics.get(rule_arn, "hold", "FailedInvocations") == 0


def test_without_input_the_queue_gets_the_whole_event(cloud: Cloud) -> None:
    rule_to(cloud, {"Id": "hold", "Arn": QUEUE_ARN})
    event_id = put_event(cloud, {"size": 5})
    store = cloud.service.dead_letters
    cloud.wait_until(lambda: len(store.list("held-events")) == 1)
    (message,) = store.list("held-events")
    assert json.loads(message.body)["id"] == event_id
    assert json.loads(message.body)["detail"] == {"size": 5}


EVENT = {
    "id": "e1",
    "source": "shop.orders",
    "detail-type": "OrderPlaced",
    "account": "000000000000",
    "time": "2026-11-29T00:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"total": "12", "customer": 'a"b'},
}


def test_the_explanation_names_each_branch_value_the_event_meets() -> None:
    pattern = {
        "source": ["shop.orders"],
        "detail": {
            "$or": [
                {"total": [{"exists": False}, {"prefix": ""}]},
                {"customer": [{"exists": False}, {"wildcard": '*"*'}]},
                {"coupon": [{"prefix": "X"}]},
            ]
        },
    }
    assert matched_conditions(json.dumps(pattern), EVENT) == [
        'detail.total {"prefix": ""}',
        'detail.customer {"wildcard": "*\\"*"}',
    ]


def test_a_pattern_without_choices_has_nothing_to_explain() -> None:
    assert matched_conditions({"source": ["shop.orders"]}, EVENT) == []


def test_nested_choices_are_explained_where_they_stand() -> None:
    pattern = {
        "$or": [
            {"source": ["other"]},
            {"source": ["shop.orders"], "detail": {"$or": [{"total": ["12"]}, {"total": ["13"]}]}},
        ]
    }
    assert matched_conditions(pattern, EVENT) == ['source "shop.orders"', 'detail.total "12"']


# ---- SendMessage from a function's SQS client (real boto3 against the local port)


def sqs_client(cloud: Cloud) -> Any:
    return local_client("sqs", cloud.url)


def test_send_message_puts_the_body_in_the_queue_the_url_names(cloud: Cloud) -> None:
    url = "https://sqs.us-east-1.amazonaws.com/000000000000/refused-events"
    body = json.dumps({"reasons": ["detail.plant: must be a string"], "event": {"id": "e1"}})
    sent = sqs_client(cloud).send_message(QueueUrl=url, MessageBody=body)
    (message,) = cloud.service.dead_letters.list("refused-events")
    assert message.message_id == sent["MessageId"] and message.body == body
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()


def test_other_queue_operations_and_bad_queue_urls_are_refused_by_name(cloud: Cloud) -> None:
    client = sqs_client(cloud)
    with pytest.raises(ClientError) as unsupported:
        client.receive_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/000000000000/q")
    assert unsupported.value.response["Error"]["Code"] == "UnsupportedOperation"
    assert "ReceiveMessage" in unsupported.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as bad_url:
        client.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/000000000000/a b", MessageBody="x")
    assert bad_url.value.response["Error"]["Code"] == "QueueDoesNotExist"
    assert cloud.service.dead_letters.list() == []


def test_a_sent_message_has_no_rule_to_be_redriven_through_and_says_so(cloud: Cloud) -> None:
    url = "https://sqs.us-east-1.amazonaws.com/000000000000/refused-events"
    sqs_client(cloud).send_message(QueueUrl=url, MessageBody="{}")
    (message,) = cloud.service.dead_letters.list("refused-events")
    outcome = cloud.loop.run(cloud.service.redeliver(message))
    assert not outcome.delivered
    assert "SendMessage" in outcome.error
