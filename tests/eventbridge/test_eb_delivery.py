"""Delivery against a real HTTP sink on loopback: retries, Retry-After, timeouts, rate limits, dead-letter
queues and their redrive, connection auth, HTTP parameters, Lambda targets and counters."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.eventbridge import (
    DLQ_ARN,
    FAST,
    Cloud,
    CloudFactory,
    Reply,
    put_event,
    rule_to,
    sink_destination,
)
from tests.support.invokers import CallableInvoker
from vcn.eventbridge.dlq import DeadLetterMessage
from vcn.eventbridge.settings import EventBridgeSettings


def target(destination: str, **extra: Any) -> dict[str, Any]:
    return {"Id": "sink", "Arn": destination, "DeadLetterConfig": {"Arn": DLQ_ARN}, **extra}


def dead_letters(cloud: Cloud, count: int = 1) -> list[DeadLetterMessage]:
    cloud.wait_until(lambda: len(cloud.service.dead_letters.list()) >= count)
    cloud.idle()
    return cloud.service.dead_letters.list()


def counter(cloud: Cloud, rule_arn: str, name: str, target_id: str = "sink") -> int:
    return cloud.service.metrics.get(rule_arn, target_id, name)


@pytest.mark.parametrize("status", [500, 429, 409])
def test_retryable_status_is_retried_until_delivered(cloud: Cloud, status: int) -> None:
    rule_arn = rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(status), Reply(status))
    event_id = put_event(cloud)
    received = cloud.loop.run(cloud.sink.wait_for(3))
    cloud.idle()
    assert [request.json()["id"] for request in received] == [event_id] * 3
    assert counter(cloud, rule_arn, "Invocations") == 1
    assert counter(cloud, rule_arn, "FailedInvocations") == 0
    assert cloud.service.dead_letters.list() == []


@pytest.mark.parametrize("status", [400, 404, 302])
def test_non_retryable_status_is_not_retried_and_goes_to_the_dead_letter_queue(
    cloud: Cloud, status: int
) -> None:
    rule_arn = rule_to(cloud, target(sink_destination(cloud)))
    # A redirect is an answer, not a hop: following it would show up as a second request here.
    cloud.sink.script(Reply(status, {"Location": "/elsewhere"}))
    event_id = put_event(cloud)
    [message] = dead_letters(cloud)
    assert len(cloud.sink.received) == 1
    assert message.attributes["ERROR_CODE"] == f"HTTP_{status}"
    assert message.attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in message.attributes
    assert json.loads(message.body)["id"] == event_id
    assert counter(cloud, rule_arn, "FailedInvocations") == 1


def test_retry_after_delays_the_next_attempt(cloud: Cloud) -> None:
    rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(503, {"Retry-After": "1"}))
    put_event(cloud)
    first, second = cloud.loop.run(cloud.sink.wait_for(2))
    # The backoff setting is 10-50 ms, so only Retry-After explains a gap of a second.
    assert second.at - first.at >= 0.95


def test_negative_retry_after_stops_retrying(cloud: Cloud) -> None:
    rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(503, {"Retry-After": "-1"}))
    put_event(cloud)
    [message] = dead_letters(cloud)
    assert len(cloud.sink.received) == 1
    assert message.attributes["ERROR_CODE"] == "HTTP_503"


def test_exhausted_retry_attempts_dead_letter_with_all_attributes(cloud: Cloud) -> None:
    destination = sink_destination(cloud)
    rule_arn = rule_to(cloud, target(destination, RetryPolicy={"MaximumRetryAttempts": 2}))
    cloud.sink.script(Reply(500), Reply(500), Reply(500))
    event_id = put_event(cloud, {"n": 1})
    [message] = dead_letters(cloud)
    assert len(cloud.sink.received) == 3
    assert message.queue == "eb-dlq"
    assert message.attributes == {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": destination,
        "ERROR_CODE": "HTTP_500",
        "ERROR_MESSAGE": f"POST {cloud.sink.url}/in answered 500",
        "RETRY_ATTEMPTS": "2",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    }
    body = json.loads(message.body)
    assert body["id"] == event_id and body["detail"] == {"n": 1}
    assert counter(cloud, rule_arn, "InvocationsSentToDLQ") == 1
    assert counter(cloud, rule_arn, "FailedInvocations") == 1


def test_event_age_limit_dead_letters_with_its_condition(cloud: Cloud) -> None:
    rule_to(cloud, target(sink_destination(cloud), RetryPolicy={"MaximumEventAgeInSeconds": 60}))
    cloud.sink.script(Reply(503, {"Retry-After": "120"}))
    put_event(cloud)
    [message] = dead_letters(cloud)
    assert len(cloud.sink.received) == 1
    assert message.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"


def test_timeout_is_retried_then_dead_lettered(clouds: CloudFactory, tmp_path: Path) -> None:
    cloud = clouds(tmp_path, EventBridgeSettings(retry_base_seconds=0.01, http_timeout_seconds=0.2))
    rule_to(cloud, target(sink_destination(cloud), RetryPolicy={"MaximumRetryAttempts": 1}))
    cloud.sink.script(Reply(delay=1.0), Reply(delay=1.0))
    put_event(cloud)
    [message] = dead_letters(cloud)
    assert len(cloud.sink.received) == 2
    assert message.attributes["ERROR_CODE"] == "TIMEOUT"
    assert message.attributes["RETRY_ATTEMPTS"] == "1"


def test_rate_limit_delays_excess_invocations_without_dropping_them(cloud: Cloud) -> None:
    rule_arn = rule_to(cloud, target(sink_destination(cloud, rate=5)))
    entries = [
        {"Source": "test.app", "DetailType": "Tested", "Detail": json.dumps({"n": n})} for n in range(10)
    ]
    # One request, so all ten reach the bucket at the same moment.
    put_at = time.monotonic()
    event_ids = [entry["EventId"] for entry in cloud.call("PutEvents", {"Entries": entries})["Entries"]]
    received = cloud.loop.run(cloud.sink.wait_for(10))
    cloud.idle()
    assert sorted(request.json()["id"] for request in received) == sorted(event_ids)
    # Five a second with a burst of five: the other five wait for refills, the last about a second.
    assert counter(cloud, rule_arn, "ThrottledRules") == 5
    assert counter(cloud, rule_arn, "Invocations") == 10
    assert max(request.at for request in received) - put_at >= 0.9


def test_redrive_resends_through_the_target_and_is_safe_to_repeat(cloud: Cloud) -> None:
    rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(400), Reply(400))
    first = put_event(cloud, {"n": 1})
    second = put_event(cloud, {"n": 2})
    messages = dead_letters(cloud, 2)
    store = cloud.service.dead_letters
    assert store.get(messages[0].message_id) == messages[0]

    async def redrive_twice_at_once() -> list[Any]:
        return list(await asyncio.gather(cloud.service.redrive(), cloud.service.redrive()))

    reports = cloud.loop.run(redrive_twice_at_once())
    assert sorted(reports[0].redriven + reports[1].redriven) == sorted(m.message_id for m in messages)
    assert store.list() == []
    delivered = [request.json()["id"] for request in cloud.sink.received[2:]]
    assert sorted(delivered) == sorted([first, second])
    again = cloud.loop.run(cloud.service.redrive())
    assert again.redriven == [] and len(cloud.sink.received) == 4


def test_failed_redrive_keeps_the_message(cloud: Cloud) -> None:
    rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(400), Reply(400))
    put_event(cloud)
    [message] = dead_letters(cloud)
    report = cloud.loop.run(cloud.service.redrive(message_ids=[message.message_id]))
    assert report.failed == {message.message_id: f"HTTP_400: POST {cloud.sink.url}/in answered 400"}
    assert [kept.message_id for kept in cloud.service.dead_letters.list()] == [message.message_id]


def test_api_destination_request_carries_aws_headers_and_merged_parameters(cloud: Cloud) -> None:
    auth = {
        "type": "API_KEY",
        "parameters": {
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret-key"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "x-both", "Value": "connection", "IsValueSecret": False}],
                "QueryStringParameters": [{"Key": "both", "Value": "connection", "IsValueSecret": False}],
                "BodyParameters": [{"Key": "extra", "Value": "from-connection", "IsValueSecret": False}],
            },
        },
    }
    destination = sink_destination(cloud, path="/markets/*/models/*", auth=auth)
    http = {
        "PathParameterValues": ["$.detail.market", "A4"],
        "HeaderParameters": {"x-target": "$.detail.market", "x-both": "target"},
        "QueryStringParameters": {"q": "1", "both": "target"},
    }
    rule_to(cloud, {"Id": "sink", "Arn": destination, "HttpParameters": http})
    put_event(cloud, {"market": "DE"})
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.path == "/markets/DE/models/A4"
    assert request.query == {"q": "1", "both": "connection"}
    headers = request.headers
    assert headers["User-Agent"] == "Amazon/EventBridge/ApiDestinations"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Range"] == "bytes=0-1048575"
    assert headers["Accept-Encoding"] == "gzip,deflate"
    assert headers["Connection"] == "close"
    assert headers["x-api-key"] == "secret-key"
    assert headers["x-target"] == "DE" and headers["x-both"] == "connection"
    assert "Accept" not in headers
    assert request.json()["extra"] == "from-connection"


def test_basic_connection_sends_basic_credentials(cloud: Cloud) -> None:
    auth = {"type": "BASIC", "parameters": {"BasicAuthParameters": {"Username": "user", "Password": "p@ss!"}}}
    rule_to(cloud, target(sink_destination(cloud, auth=auth)))
    put_event(cloud)
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"user:p@ss!").decode()


def test_oauth_connection_fetches_a_token_once_and_again_after_401(cloud: Cloud) -> None:
    issued: list[str] = []

    def token(request: Any) -> Reply:
        issued.append(f"tok-{len(issued) + 1}")
        assert (
            request.headers["Authorization"] == "Basic " + base64.b64encode(b"client:client-secret").decode()
        )
        assert b"grant_type=client_credentials" in request.body and b"scope=publish" in request.body
        return Reply(200, body=json.dumps({"access_token": issued[-1], "expires_in": 3600}))

    cloud.sink.routes["/token"] = token
    auth = {
        "type": "OAUTH_CLIENT_CREDENTIALS",
        "parameters": {
            "OAuthParameters": {
                "ClientParameters": {"ClientID": "client", "ClientSecret": "client-secret"},
                "AuthorizationEndpoint": f"{cloud.sink.url}/token",
                "HttpMethod": "POST",
                "OAuthHttpParameters": {"BodyParameters": [{"Key": "scope", "Value": "publish"}]},
            }
        },
    }
    rule_to(cloud, target(sink_destination(cloud, auth=auth)))
    put_event(cloud)
    put_event(cloud)
    cloud.loop.run(cloud.sink.wait_for(2))
    assert issued == ["tok-1"]
    assert {request.headers["Authorization"] for request in cloud.sink.received} == {"Bearer tok-1"}
    cloud.sink.script(Reply(401))
    put_event(cloud)
    received = cloud.loop.run(cloud.sink.wait_for(4))
    assert issued == ["tok-1", "tok-2"]
    assert received[-1].headers["Authorization"] == "Bearer tok-2"


def test_lambda_target_receives_the_transformed_input(clouds: CloudFactory, tmp_path: Path) -> None:
    payloads: list[Any] = []
    cloud = clouds(tmp_path, FAST, CallableInvoker({"Worker": payloads.append}))
    function = "arn:aws:lambda:us-east-1:000000000000:function:Worker"
    rule_arn = rule_to(cloud, {"Id": "fn", "Arn": function, "InputPath": "$.detail"})
    put_event(cloud, {"configurationId": "c-1"})
    cloud.wait_until(lambda: len(payloads) == 1)
    assert payloads == [{"configurationId": "c-1"}]
    assert counter(cloud, rule_arn, "Invocations", "fn") == 1


def test_missing_lambda_function_is_dead_lettered(clouds: CloudFactory, tmp_path: Path) -> None:
    cloud = clouds(tmp_path, FAST, CallableInvoker({}))
    function = "arn:aws:lambda:us-east-1:000000000000:function:Gone"
    rule_to(cloud, {"Id": "fn", "Arn": function, "DeadLetterConfig": {"Arn": DLQ_ARN}})
    put_event(cloud)
    [message] = dead_letters(cloud)
    assert message.attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert message.attributes["TARGET_ARN"] == function


def test_invalid_transformed_input_delivers_nothing_and_logs_rule_and_target(
    cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    transformer = {"InputPathsMap": {"o": "$.detail.obj"}, "InputTemplate": '{"a": "<o>"}'}
    rule_arn = rule_to(cloud, target(sink_destination(cloud), InputTransformer=transformer))
    with caplog.at_level(logging.WARNING, logger="vcn.eventbridge"):
        put_event(cloud, {"obj": {"k": "v"}})
        cloud.idle()
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert rule_arn in warnings[0] and "target=sink" in warnings[0] and "not valid JSON" in warnings[0]
    assert cloud.sink.received == [] and cloud.service.dead_letters.list() == []


def test_metrics_endpoint_reports_counters_per_rule_and_target(cloud: Cloud) -> None:
    rule_arn = rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(400))
    put_event(cloud)
    put_event(cloud)
    put_event(cloud, source="unmatched.app")
    dead_letters(cloud)
    cloud.loop.run(cloud.sink.wait_for(2))
    cloud.idle()
    metrics = requests.get(cloud.url + "/_vcn/metrics", timeout=10).json()
    [row] = [row for row in metrics["targets"] if row["RuleArn"] == rule_arn]
    assert row == {
        "RuleArn": rule_arn,
        "TargetId": "sink",
        "MatchedEvents": 2,
        "Invocations": 2,
        "FailedInvocations": 1,
        "InvocationsSentToDLQ": 1,
        "InvocationsFailedToBeSentToDlq": 0,
        "ThrottledRules": 0,
    }


def test_dead_letters_are_listed_over_http(cloud: Cloud) -> None:
    rule_to(cloud, target(sink_destination(cloud)))
    cloud.sink.script(Reply(404))
    put_event(cloud)
    [message] = dead_letters(cloud)
    listed = requests.get(cloud.url + "/_vcn/dlq", timeout=10).json()["Messages"]
    assert [item["MessageId"] for item in listed] == [message.message_id]
    assert listed[0]["MessageAttributes"]["ERROR_CODE"] == {"DataType": "String", "StringValue": "HTTP_404"}
    started = requests.post(cloud.url + "/_vcn/dlq/redrive", json={"queue": "eb-dlq"}, timeout=10)
    assert started.status_code == 202
    progress_url = f"{cloud.url}/_vcn/dlq/redrive/{started.json()['RedriveId']}"
    report = requests.get(progress_url, timeout=10).json()
    for _ in range(100):
        if report["State"] == "COMPLETED":
            break
        time.sleep(0.05)
        report = requests.get(progress_url, timeout=10).json()
    assert report["Redriven"] == [message.message_id] and report["Total"] == 1 and report["Pending"] == 0
