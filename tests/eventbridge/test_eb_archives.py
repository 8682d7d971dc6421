"""Archives: create, describe, list, update and delete as AWS answers them; recording what PutEvents accepts
(by bus and pattern, with counts and sizes), retention, and the archive's events across restarts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws_errors import refusal
from tests.support.eventbridge import Cloud, CloudFactory, aws_cli, events_client
from vcn.eventbridge.archive_store import ARCHIVE_FILE

BUS_ARN = "arn:aws:events:us-east-1:000000000000:event-bus/orders"
ARCHIVE_ARN = "arn:aws:events:us-east-1:000000000000:archive/orders-archive"


@pytest.fixture
def cloud(clouds: CloudFactory, tmp_path: Path) -> Cloud:
    cloud = clouds(tmp_path)
    cloud.call("CreateEventBus", {"Name": "orders"})
    return cloud


def put(
    cloud: Cloud, *details: dict[str, Any], bus: str = "orders", source: str = "shop.orders"
) -> list[str]:
    entries = [
        {"EventBusName": bus, "Source": source, "DetailType": "OrderPlaced", "Detail": json.dumps(detail)}
        for detail in details
    ]
    reply = cloud.call("PutEvents", {"Entries": entries})
    assert reply["FailedEntryCount"] == 0
    return [entry["EventId"] for entry in reply["Entries"]]


def test_aws_cli_round_trip_create_describe_list_update_delete(cloud: Cloud) -> None:
    url = cloud.url
    created = aws_cli(
        url, "create-archive", "--archive-name", "orders-archive", "--event-source-arn", BUS_ARN,
        "--retention-days", "7", "--description", "all orders",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert {k: v for k, v in created.json().items() if k != "CreationTime"} == {
        "ArchiveArn": ARCHIVE_ARN,
        "State": "ENABLED",
    }
    put(cloud, {"n": 1}, {"n": 2})
    described = aws_cli(url, "describe-archive", "--archive-name", "orders-archive").json()
    assert described["CreationTime"] == created.json()["CreationTime"]
    assert {k: v for k, v in described.items() if k != "CreationTime"} == {
        "ArchiveArn": ARCHIVE_ARN,
        "ArchiveName": "orders-archive",
        "EventSourceArn": BUS_ARN,
        "Description": "all orders",
        "State": "ENABLED",
        "RetentionDays": 7,
        "SizeBytes": described["SizeBytes"],
        "EventCount": 2,
    }
    assert described["SizeBytes"] > 2 * len('{"n":1}')
    pattern = json.dumps({"detail": {"n": [2]}})
    updated = aws_cli(url, "update-archive", "--archive-name", "orders-archive", "--event-pattern", pattern,
                      "--retention-days", "0")  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    listed = aws_cli(url, "list-archives", "--event-source-arn", BUS_ARN).json()["Archives"]
    assert [(a["ArchiveName"], a["RetentionDays"], a["EventCount"]) for a in listed] == [
        ("orders-archive", 0, 2)
    ]
    assert "EventPattern" not in listed[0]  # the list shows the Archive shape only
    assert (
        aws_cli(url, "describe-archive", "--archive-name", "orders-archive").json()["EventPattern"] == pattern
    )
    assert aws_cli(url, "delete-archive", "--archive-name", "orders-archive").returncode == 0
    gone = aws_cli(url, "describe-archive", "--archive-name", "orders-archive")
    assert gone.returncode != 0 and "ResourceNotFoundException" in gone.stderr
    assert "Archive orders-archive does not exist." in gone.stderr


def test_an_archive_records_what_its_bus_accepts_and_its_pattern_matches(cloud: Cloud) -> None:
    events = events_client(cloud.url)
    events.create_archive(ArchiveName="all", EventSourceArn=BUS_ARN)
    events.create_archive(
        ArchiveName="big",
        EventSourceArn=BUS_ARN,
        EventPattern=json.dumps({"detail": {"total": [{"numeric": [">", 100]}]}}),
    )
    events.create_archive(ArchiveName="default-bus", EventSourceArn=BUS_ARN.replace("orders", "default"))
    put(cloud, {"total": 50}, {"total": 500})
    put(cloud, {"total": 900}, bus="default")
    put(cloud, {"total": 900}, bus="nowhere")  # no such bus: dropped, archived nowhere
    counts = {
        name: events.describe_archive(ArchiveName=name)["EventCount"]
        for name in ("all", "big", "default-bus")
    }
    assert counts == {"all": 2, "big": 1, "default-bus": 1}
    prefixed = events.list_archives(NamePrefix="b")["Archives"]
    assert [a["ArchiveName"] for a in prefixed] == ["big"]
    assert [a["ArchiveName"] for a in events.list_archives(Limit=2)["Archives"]] == ["all", "big"]


def test_archive_errors_read_as_aws_writes_them(cloud: Cloud) -> None:
    events = events_client(cloud.url)
    events.create_archive(ArchiveName="a", EventSourceArn=BUS_ARN)
    assert refusal(events.create_archive, ArchiveName="a", EventSourceArn=BUS_ARN) == {
        "Code": "ResourceAlreadyExistsException",
        "Message": "Archive a already exists.",
    }
    missing_bus = "arn:aws:events:us-east-1:000000000000:event-bus/nope"
    assert refusal(events.create_archive, ArchiveName="b", EventSourceArn=missing_bus) == {
        "Code": "ResourceNotFoundException",
        "Message": "Event bus nope does not exist.",
    }
    refused = refusal(
        events.create_archive, ArchiveName="c", EventSourceArn=BUS_ARN, EventPattern='{"source": "x"}'
    )
    assert refused["Code"] == "InvalidEventPatternException"
    assert refusal(events.update_archive, ArchiveName="zz") == {
        "Code": "ResourceNotFoundException",
        "Message": "Archive zz does not exist.",
    }
    assert refusal(events.delete_archive, ArchiveName="zz")["Code"] == "ResourceNotFoundException"
    invalid = refusal(events.create_archive, ArchiveName="no spaces", EventSourceArn=BUS_ARN)
    assert invalid == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value 'no spaces' at 'archiveName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    }
    assert [a["ArchiveName"] for a in events.list_archives()["Archives"]] == ["a"]


def test_retention_deletes_what_is_older_than_its_days(cloud: Cloud) -> None:
    events = events_client(cloud.url)
    events.create_archive(ArchiveName="week", EventSourceArn=BUS_ARN, RetentionDays=7)
    events.create_archive(ArchiveName="forever", EventSourceArn=BUS_ARN, RetentionDays=0)
    put(cloud, {"n": 1})
    ledger = cloud.service.resources.archives
    cloud.loop.run(_call(lambda: ledger.expire(time.time() + 6 * 86400)))
    assert events.describe_archive(ArchiveName="week")["EventCount"] == 1
    cloud.loop.run(_call(lambda: ledger.expire(time.time() + 8 * 86400)))
    assert events.describe_archive(ArchiveName="week")["EventCount"] == 0
    assert events.describe_archive(ArchiveName="forever")["EventCount"] == 1


async def _call(function: Any) -> Any:
    return function()


def test_archives_and_their_events_survive_a_restart(clouds: CloudFactory, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = clouds(state)
    first.call("CreateEventBus", {"Name": "orders"})
    created = first.call("CreateArchive", {"ArchiveName": "orders-archive", "EventSourceArn": BUS_ARN})
    put(first, {"n": 1}, {"n": 2})
    first.loop.run(first.server.stop(grace_seconds=0.5))
    assert (state / ARCHIVE_FILE).exists()

    second = clouds(state)  # no template: the bus and the archive come back from the state folder
    described = second.call("DescribeArchive", {"ArchiveName": "orders-archive"})
    assert (described["EventCount"], described["CreationTime"]) == (2, created["CreationTime"])
    put(second, {"n": 3})
    assert second.call("DescribeArchive", {"ArchiveName": "orders-archive"})["EventCount"] == 3


def test_an_archive_declared_again_keeps_its_events_and_one_no_longer_declared_loses_them(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    """The local cloud declares the template's archives before restoring: a redeploy keeps an archive's
    events; removing the archive from the template deletes them, as CloudFormation would."""
    state = tmp_path / "state"

    def start(*archives: str) -> Cloud:
        bus = ("CreateEventBus", {"Name": "orders"})
        declared = [("CreateArchive", {"ArchiveName": a, "EventSourceArn": BUS_ARN}) for a in archives]
        return clouds(state, declare=[bus, *declared])

    first = start("kept", "removed")
    put(first, {"n": 1})
    created = first.call("DescribeArchive", {"ArchiveName": "kept"})["CreationTime"]
    first.loop.run(first.server.stop(grace_seconds=0.5))
    second = start("kept")
    kept = second.call("DescribeArchive", {"ArchiveName": "kept"})
    assert (kept["EventCount"], kept["CreationTime"]) == (1, created)
    assert second.service.resources.archives.store.names() == ["kept"]
