"""PutEvents refuses bad input at the door, whole or per entry, and never answers 5xx after routing: what SDKs
retry (a 5xx, a dropped connection) must not deliver an event twice, and what cannot be delivered must not be
acknowledged. Each case with the exact answer; boto3 with its default retries where the scenario is an SDK's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.eventbridge import Cloud, CloudFactory, aws_cli, cloud_factory, rule_to, sink_destination

AMZ_JSON = "application/x-amz-json-1.1"
VALID = {"Source": "test.app", "DetailType": "Tested", "Detail": '{"n": 1}'}
MALFORMED = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}


@pytest.fixture(scope="module")
def clouds() -> Iterator[CloudFactory]:
    yield from cloud_factory()


@pytest.fixture
def cloud(clouds: CloudFactory, tmp_path: Path) -> Cloud:
    cloud = clouds(tmp_path)
    rule_to(cloud, {"Id": "sink", "Arn": sink_destination(cloud)})
    return cloud


def retrying_client(url: str) -> Any:
    """boto3 as users run it: the default (legacy) retry mode, up to 5 attempts for 5xx and dropped links."""
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    return session.client("events", endpoint_url=url)


def raw_put_events(cloud: Cloud, body: bytes | str, **headers: str) -> requests.Response:
    return requests.post(
        cloud.url,
        data=body,
        headers={"X-Amz-Target": "AWSEvents.PutEvents", "Content-Type": AMZ_JSON, **headers},
        timeout=30,
    )


def delivered_ids(cloud: Cloud, expected: int) -> list[str]:
    """What the sink got once `expected` deliveries arrived and a duplicate had time to follow."""
    if expected:
        cloud.loop.run(cloud.sink.wait_for(expected))
    time.sleep(0.3)
    return [request.json()["id"] for request in cloud.sink.received]


def nested_detail(levels: int) -> str:
    """A JSON object `levels` objects deep (written out: Python's own encoder would recurse too deep)."""
    return '{"a": ' * levels + "1" + "}" * levels


def test_a_bad_entry_after_a_good_one_does_not_deliver_the_good_one_again(cloud: Cloud) -> None:
    deep = {**VALID, "Detail": nested_detail(1000)}
    response = retrying_client(cloud.url).put_events(Entries=[VALID, deep])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert response["FailedEntryCount"] == 1
    assert response["Entries"][1] == MALFORMED
    assert delivered_ids(cloud, 1) == [response["Entries"][0]["EventId"]]


def test_detail_may_nest_100_levels_but_not_101(cloud: Cloud) -> None:
    response = retrying_client(cloud.url).put_events(
        Entries=[{**VALID, "Detail": nested_detail(100)}, {**VALID, "Detail": nested_detail(101)}]
    )
    assert response["Entries"][1] == MALFORMED
    assert delivered_ids(cloud, 1) == [response["Entries"][0]["EventId"]]


def test_detail_with_an_escaped_lone_surrogate_is_malformed_and_the_entry_beside_it_delivered(
    cloud: Cloud,
) -> None:
    broken = {**VALID, "Detail": '{"configurationId": "cfg-\\ud800"}'}
    paired = {**VALID, "Detail": '{"configurationId": "cfg-\\ud83d\\ude00"}'}
    response = retrying_client(cloud.url).put_events(Entries=[broken, paired])
    assert response["FailedEntryCount"] == 1
    assert response["Entries"][0] == MALFORMED
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.json()["detail"] == {"configurationId": "cfg-\U0001f600"}
    assert delivered_ids(cloud, 1) == [response["Entries"][1]["EventId"]]


def test_cli_put_events_with_a_deep_detail_reports_the_entry_and_delivers_the_rest(
    cloud: Cloud, tmp_path: Path
) -> None:
    (tmp_path / "entries.json").write_text(json.dumps([VALID, {**VALID, "Detail": nested_detail(1000)}]))
    result = aws_cli(cloud.url, "put-events", "--entries", "file://entries.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = result.json()
    assert output["FailedEntryCount"] == 1 and output["Entries"][1] == MALFORMED
    assert delivered_ids(cloud, 1) == [output["Entries"][0]["EventId"]]


def with_time(time_json: str, after: dict[str, Any] | None = None) -> str:
    """A PutEvents body whose last entry has `"Time": <time_json>` as written (NaN and 1e400 included)."""
    entry = f'{{"Source": "test.app", "DetailType": "t", "Detail": "{{}}", "Time": {time_json}}}'
    return '{"Entries": [' + (json.dumps(after) + ", " if after else "") + entry + "]}"


TIME_REFUSED: list[tuple[str, str, str]] = [
    (
        "word",
        '"yesterday"',
        "Cannot read 'entries.2.member.time': expected a timestamp (epoch seconds, or ISO 8601 such as "
        "2025-03-04T05:06:07Z) (EventTime) but the request has a string.",
    ),
    (
        "boolean",
        "true",
        "Cannot read 'entries.2.member.time': expected a timestamp (epoch seconds, or ISO 8601 such as "
        "2025-03-04T05:06:07Z) (EventTime) but the request has true or false.",
    ),
    (
        "nan-string",
        '"NaN"',
        "Value 'NaN' at 'entries.2.member.time' cannot be read as a timestamp: send epoch seconds (a number) "
        "or an ISO 8601 date-time such as 2025-03-04T05:06:07Z.",
    ),
    ("nan", "NaN", "The request body is not valid JSON: NaN is not a JSON value."),
    ("infinity", "-Infinity", "The request body is not valid JSON: -Infinity is not a JSON value."),
    (
        "1e400",
        "1e400",
        "The request body is not valid JSON: the number 1e400 is out of range for a 64-bit float.",
    ),
]


@pytest.mark.parametrize(
    ("value", "message"), [row[1:] for row in TIME_REFUSED], ids=[r[0] for r in TIME_REFUSED]
)
def test_time_that_is_not_a_timestamp_fails_the_whole_request_before_anything_is_routed(
    cloud: Cloud, value: str, message: str
) -> None:
    body = with_time(value, after=VALID)
    response = raw_put_events(cloud, body)
    assert response.status_code == 400
    assert response.json() == {"__type": "SerializationException", "message": message}
    assert delivered_ids(cloud, 0) == []


@pytest.mark.parametrize("value", ["1e300", "-1e300", "253402300800", '"1e300"'])
def test_time_out_of_range_fails_its_entry_only(cloud: Cloud, value: str) -> None:
    body = with_time(value, after=VALID)
    response = raw_put_events(cloud, body)
    assert response.status_code == 200
    result = response.json()
    assert result["FailedEntryCount"] == 1
    assert result["Entries"][1] == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Time is not valid. Reason: Time must be between 0001-01-01T00:00:00Z and "
        "9999-12-31T23:59:59Z.",
    }
    assert delivered_ids(cloud, 1) == [result["Entries"][0]["EventId"]]


@pytest.mark.parametrize(
    ("value", "time_text"),
    [
        ("1700000000", "2023-11-14T22:13:20Z"),
        ('"1700000000.5"', "2023-11-14T22:13:20Z"),
        ('"2025-03-04T05:06:07+02:00"', "2025-03-04T03:06:07Z"),
        ('"2025-03-04T05:06:07Z"', "2025-03-04T05:06:07Z"),
        ("-62135596800", "0001-01-01T00:00:00Z"),
    ],
)
def test_time_as_epoch_seconds_or_iso_8601_becomes_the_event_time(
    cloud: Cloud, value: str, time_text: str
) -> None:
    body = with_time(value)
    response = raw_put_events(cloud, body)
    assert response.status_code == 200 and response.json()["FailedEntryCount"] == 0
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.json()["time"] == time_text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '{"Entries": [{"Source": "a\\ud800", "DetailType": "t", "Detail": "{}"}]}',
            "The request body is not valid JSON: a string holds an unpaired UTF-16 surrogate "
            "(\\ud800), which is not Unicode text.",
        ),
        (
            b'{"Entries": [{"Source": "\xed\xa0\x80", "DetailType": "t", "Detail": "{}"}]}',
            "The request body is not valid JSON: it is not UTF-8 text "
            "(invalid continuation byte at byte 25).",
        ),
        (
            '{"Entries": [' + "[" * 1000 + "]" * 1000 + "]}",
            "The request body is not valid JSON: it nests arrays and objects deeper than 100 levels.",
        ),
        (
            '{"Entries": [{"Source": 5, "DetailType": "t", "Detail": "{}"}]}',
            "Cannot read 'entries.1.member.source': expected a string (String) but the request has a number.",
        ),
        (
            '{"Entries": [{"Source": "s", "DetailType": "t", "Detail": {"a": 1}}]}',
            "Cannot read 'entries.1.member.detail': expected a string (String) but the request has "
            "an object.",
        ),
        (
            '{"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{}", "EventBusName": ["b"]}]}',
            "Cannot read 'entries.1.member.eventBusName': expected a string (NonPartnerEventBusNameOrArn) "
            "but the request has a list.",
        ),
        (
            '{"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{}", "Resources": "arn:x"}]}',
            "Cannot read 'entries.1.member.resources': expected a list (EventResourceList) but the "
            "request has a string.",
        ),
    ],
    ids=["lone-surrogate", "utf8-surrogate", "deep-request", "source-number", "detail-object", "bus-list",
         "resources-string"],
)  # fmt: skip
def test_request_that_cannot_be_read_is_a_serialization_exception(
    cloud: Cloud, body: str | bytes, message: str
) -> None:
    response = raw_put_events(cloud, body)
    assert response.status_code == 400
    assert response.json() == {"__type": "SerializationException", "message": message}
    assert delivered_ids(cloud, 0) == []


def test_body_over_the_service_limit_is_a_413_that_boto3_does_not_send_again(cloud: Cloud) -> None:
    limit = cloud.service.settings.max_request_bytes
    huge = {**VALID, "Detail": json.dumps({"pad": "x" * (9 * 1024 * 1024)})}
    with pytest.raises(ClientError) as raised:
        retrying_client(cloud.url).put_events(Entries=[huge])
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert response["Error"]["Code"] == "RequestTooLargeException"
    message = response["Error"]["Message"]
    assert message.startswith("The request body of ")
    assert message.endswith(
        f" bytes is over the limit of {limit} bytes; PutEvents takes at most 1048576 bytes of entries per "
        "call: send smaller batches."
    )
    assert delivered_ids(cloud, 0) == []


def test_chunked_body_over_the_limit_is_a_413_too(cloud: Cloud) -> None:
    limit = cloud.service.settings.max_request_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"Entries": [{"Source": "s", "DetailType": "t", "Detail": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}]}'

    response = raw_put_events(cloud, chunks())  # type: ignore[arg-type]  # requests streams an iterator
    assert response.status_code == 413
    assert response.json() == {
        "__type": "RequestTooLargeException",
        "message": f"The request body is over the limit of {limit} bytes; PutEvents takes at most 1048576 "
        "bytes of entries per call: send smaller batches.",
    }


def test_test_event_pattern_refuses_a_deep_event_with_a_validation_exception(cloud: Cloud) -> None:
    event = {"id": "1", "account": "1", "source": "s", "time": "t", "region": "r", "detail-type": "d"}
    deep = json.dumps(event)[:-1] + ', "detail": ' + nested_detail(1000) + "}"
    with pytest.raises(ClientError) as raised:
        retrying_client(cloud.url).test_event_pattern(EventPattern='{"source": ["s"]}', Event=deep)
    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Parameter Event is not valid.",
    }
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0
