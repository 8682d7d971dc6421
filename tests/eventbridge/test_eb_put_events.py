"""PutEvents through boto3 and the real AWS CLI: every error row of the spec, limits, unknown buses and the
shape of the delivered event."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.eventbridge import (
    EVENT_MEMBERS,
    Cloud,
    CloudFactory,
    aws_cli,
    cloud_factory,
    events_client,
    rule_to,
    sink_destination,
)
from vcn.eventbridge.put_events import entry_size
from vcn.eventbridge.settings import EventBridgeSettings

# Detail values that are not a JSON object: each is refused with the same code and message.
MALFORMED_DETAILS = {
    "detail-not-json": "NotJSON",
    "detail-array": "[]",
    "detail-broken": "{{}",
    "detail-string": '"text"',
    "detail-nan": '{"a": NaN}',
}
MALFORMED = "Detail is malformed."
REQUIRED = "Parameter {0} is not valid. Reason: {0} is a required argument."
ERROR_ROWS: list[tuple[str, dict[str, Any], str, str]] = [
    ("source-missing", {"DetailType": "t", "Detail": "{}"}, "InvalidArgument", REQUIRED.format("Source")),
    (
        "detail-type-missing",
        {"Source": "s", "Detail": "{}"},
        "InvalidArgument",
        REQUIRED.format("DetailType"),
    ),
    (
        "detail-type-empty",
        {"Source": "s", "DetailType": "", "Detail": "{}"},
        "InvalidArgument",
        REQUIRED.format("DetailType"),
    ),
    ("detail-missing", {"Source": "s", "DetailType": "t"}, "InvalidArgument", REQUIRED.format("Detail")),
    *(
        (name, {"Source": "s", "DetailType": "t", "Detail": detail}, "MalformedDetail", MALFORMED)
        for name, detail in MALFORMED_DETAILS.items()
    ),
]
VALID = {"Source": "test.app", "DetailType": "Tested", "Detail": '{"n": 1}'}


@pytest.fixture(scope="module")
def clouds() -> Iterator[CloudFactory]:
    yield from cloud_factory()


@pytest.fixture(scope="module")
def cloud(clouds: CloudFactory, tmp_path_factory: pytest.TempPathFactory) -> Cloud:
    return clouds(tmp_path_factory.mktemp("eb-put-events"))


@pytest.mark.parametrize(
    ("entry", "code", "message"), [row[1:] for row in ERROR_ROWS], ids=[r[0] for r in ERROR_ROWS]
)
def test_put_events_reports_invalid_entry_with_aws_code_and_message(
    events: Any, entry: dict[str, Any], code: str, message: str
) -> None:
    response = events.put_events(Entries=[VALID, entry])
    assert response["FailedEntryCount"] == 1
    assert "EventId" in response["Entries"][0]
    assert response["Entries"][1] == {"ErrorCode": code, "ErrorMessage": message}


def test_put_events_with_eleven_entries_is_a_validation_exception(events: Any) -> None:
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[VALID] * 11)
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "ValidationException"
    assert error["Message"].endswith("Member must have length less than or equal to 10")


def test_put_events_over_the_total_size_limit_is_a_validation_exception(events: Any) -> None:
    big = {"Source": "s", "DetailType": "t", "Detail": json.dumps({"pad": "x" * 110_000})}
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[big] * 10)
    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Total size of the entries in the request is over the limit.",
    }


def test_total_size_limit_counts_time_and_utf8_bytes_of_each_field(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    entry = {"Source": "ü", "DetailType": "t", "Detail": "{}", "Resources": ["r1"], "Time": 1_700_000_000}
    assert entry_size(entry) == 14 + 2 + 1 + 2 + 2
    cloud = clouds(tmp_path, EventBridgeSettings(max_put_events_bytes=2 * 21))
    assert cloud.call("PutEvents", {"Entries": [entry, entry]})["FailedEntryCount"] == 0
    client = events_client(cloud.url)
    with pytest.raises(ClientError, match="over the limit"):
        client.put_events(Entries=[entry, {**entry, "Resources": ["r12"]}])


def test_put_events_to_a_bus_that_does_not_exist_returns_an_event_id_and_logs_the_drop(
    events: Any, cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="vcn.eventbridge"):
        response = events.put_events(Entries=[{**VALID, "EventBusName": "no-such-bus"}])
    assert response["FailedEntryCount"] == 0
    event_id = response["Entries"][0]["EventId"]
    assert any(
        "no-such-bus" in record.getMessage() and event_id in record.getMessage() for record in caplog.records
    )


@pytest.mark.parametrize(
    "elsewhere",
    [
        "arn:aws:events:eu-west-1:000000000000:event-bus/default",
        "arn:aws:events:us-east-1:111111111111:event-bus/default",
    ],
    ids=["other-region", "other-account"],
)
def test_a_bus_arn_of_another_account_or_region_is_not_this_clouds_bus(
    events: Any, cloud: Cloud, caplog: pytest.LogCaptureFixture, elsewhere: str
) -> None:
    """The local cloud is one account in one Region: a bus of the same name elsewhere is not its bus."""
    here = "here-" + elsewhere.split(":")[3]  # the cloud serves the module: one destination per case
    source = f"{here}.app"
    rule_to(
        cloud, {"Id": "sink", "Arn": sink_destination(cloud, here)}, rule=here, pattern={"source": [source]}
    )
    before = len(cloud.sink.received)
    with caplog.at_level(logging.ERROR, logger="vcn.eventbridge"):
        entry = {**VALID, "Source": source}
        response = events.put_events(Entries=[{**entry, "EventBusName": elsewhere}, entry])
    assert response["FailedEntryCount"] == 0
    dropped, delivered = (entry["EventId"] for entry in response["Entries"])
    received = [message.json() for message in cloud.loop.run(cloud.sink.wait_for(before + 1))]
    cloud.idle()
    assert [event["id"] for event in received if event["source"] == source] == [delivered]
    (record,) = [r.getMessage() for r in caplog.records if "EVENT DROPPED" in r.getMessage()]
    assert elsewhere in record and dropped in record and "(account 000000000000, us-east-1)" in record
    with pytest.raises(ClientError, match="Event bus default does not exist"):
        events.describe_event_bus(Name=elsewhere)


def test_delivered_event_has_aws_keys_in_order_and_the_returned_event_id(events: Any, cloud: Cloud) -> None:
    destination = sink_destination(cloud, "shape")
    rule_to(cloud, {"Id": "sink", "Arn": destination}, rule="shape", pattern={"source": ["shape.app"]})
    moment = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    before = len(cloud.sink.received)  # the sink serves the module: earlier tests' events are there too
    response = events.put_events(
        Entries=[
            {
                "Source": "shape.app",
                "DetailType": "Shaped",
                "Detail": '{"a": {"b": [1, 2]}}',
                "Resources": ["arn:aws:s3:::bucket"],
                "Time": moment,
            }
        ]
    )
    received = cloud.loop.run(cloud.sink.wait_for(before + 1))
    [event] = [message.json() for message in received[before:] if message.json()["source"] == "shape.app"]
    assert list(event) == EVENT_MEMBERS
    assert event == {
        "version": "0",
        "id": response["Entries"][0]["EventId"],
        "detail-type": "Shaped",
        "source": "shape.app",
        "account": "000000000000",
        "time": "2025-03-04T05:06:07Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::bucket"],
        "detail": {"a": {"b": [1, 2]}},
    }


def test_cli_put_events_reports_each_entry_like_aws(cloud: Cloud, tmp_path: Path) -> None:
    entries = [VALID] + [row[1] for row in ERROR_ROWS]
    (tmp_path / "entries.json").write_text(json.dumps(entries))
    result = aws_cli(cloud.url, "put-events", "--entries", "file://entries.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = result.json()
    print(result.stdout)
    assert output["FailedEntryCount"] == len(ERROR_ROWS)
    assert set(output["Entries"][0]) == {"EventId"}
    assert output["Entries"][1:] == [{"ErrorCode": row[2], "ErrorMessage": row[3]} for row in ERROR_ROWS]


def test_cli_put_events_limits_fail_the_call(cloud: Cloud, tmp_path: Path) -> None:
    (tmp_path / "eleven.json").write_text(json.dumps([VALID] * 11))
    result = aws_cli(cloud.url, "put-events", "--entries", "file://eleven.json", cwd=tmp_path)
    assert result.returncode != 0
    assert "(ValidationException)" in result.stderr
    assert "Member must have length less than or equal to 10" in result.stderr
    big = {"Source": "s", "DetailType": "t", "Detail": json.dumps({"pad": "x" * 110_000})}
    (tmp_path / "big.json").write_text(json.dumps([big] * 10))
    result = aws_cli(cloud.url, "put-events", "--entries", "file://big.json", cwd=tmp_path)
    assert result.returncode != 0
    assert "Total size of the entries in the request is over the limit." in result.stderr
