"""Replays: archived events between EventStartTime and EventEndTime go back through the bus's rules, minute
by minute, marked with `replay-name`, keeping their id; filters, cancellation, progress and AWS's errors."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.aws_errors import refusal
from tests.support.eventbridge import (
    FAST,
    Cloud,
    CloudFactory,
    aws_cli,
    events_client,
    sink_destination,
)
from tests.support.invokers import CallableInvoker

ACCOUNT = "arn:aws:events:us-east-1:000000000000"
BUS_ARN = f"{ACCOUNT}:event-bus/orders"
ARCHIVE_ARN = f"{ACCOUNT}:archive/orders-archive"
T0 = 1_740_834_000  # 2025-03-01T13:00:00Z, a minute boundary


class Shop:
    """A bus `orders` with an archive and rules whose Lambda targets record what they receive."""

    def __init__(self, clouds: CloudFactory, state_dir: Path) -> None:
        self.received: dict[str, list[Any]] = {"All": [], "Live": [], "Other": []}
        invoker = CallableInvoker({name: events.append for name, events in self.received.items()})
        self.cloud: Cloud = clouds(state_dir, FAST, invoker)
        self.events = events_client(self.cloud.url)
        self.events.create_event_bus(Name="orders")
        self.events.create_archive(ArchiveName="orders-archive", EventSourceArn=BUS_ARN)
        self.rules = {
            "All": self.rule("All", {"source": ["shop.orders"]}),
            # Rules can leave replays out.
            "Live": self.rule("Live", {"source": ["shop.orders"], "replay-name": [{"exists": False}]}),
        }

    def rule(self, name: str, pattern: dict[str, Any]) -> str:
        arn = self.events.put_rule(Name=name, EventBusName="orders", EventPattern=json.dumps(pattern))[
            "RuleArn"
        ]
        target = {"Id": "fn", "Arn": f"arn:aws:lambda:us-east-1:000000000000:function:{name}"}
        self.events.put_targets(Rule=name, EventBusName="orders", Targets=[target])
        return str(arn)

    def put(self, minute: int, n: int) -> str:
        entry = {
            "EventBusName": "orders",
            "Source": "shop.orders",
            "DetailType": "OrderPlaced",
            "Detail": json.dumps({"n": n}),
            "Time": T0 + minute * 60 + n % 60,
        }
        return str(self.events.put_events(Entries=[entry])["Entries"][0]["EventId"])

    def replay(self, name: str, start_minute: int, end_minute: int, **destination: Any) -> dict[str, Any]:
        return dict(
            self.events.start_replay(
                ReplayName=name,
                EventSourceArn=ARCHIVE_ARN,
                EventStartTime=T0 + start_minute * 60,
                EventEndTime=T0 + end_minute * 60,
                Destination={"Arn": BUS_ARN, **destination},
            )
        )

    def finished(self, name: str) -> dict[str, Any]:
        self.cloud.wait_until(
            lambda: self.cloud.service.resources.resources.replays[name].state not in ("STARTING", "RUNNING")
        )
        self.cloud.idle()
        return dict(self.events.describe_replay(ReplayName=name))


def test_a_replay_sends_the_window_back_marked_with_its_name_and_keeping_ids(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    shop = Shop(clouds, tmp_path)
    ids = {n: shop.put(minute, n) for minute, n in [(0, 1), (1, 2), (2, 3), (5, 4)]}
    shop.cloud.idle()
    assert [e["detail"]["n"] for e in shop.received["Live"]] == [1, 2, 3, 4]
    shop.received["All"].clear()

    started = shop.replay("again", 1, 3)
    assert started["ReplayArn"] == f"{ACCOUNT}:replay/again" and started["State"] == "STARTING"
    described = shop.finished("again")
    replayed = shop.received["All"]
    assert [event["detail"]["n"] for event in replayed] == [2, 3]  # minute 1 before minute 2; 0 and 5 outside
    assert [event["id"] for event in replayed] == [ids[2], ids[3]]
    assert list(replayed[0])[:5] == ["version", "id", "detail-type", "source", "replay-name"]
    assert {event["replay-name"] for event in replayed} == {"again"}
    assert [e["detail"]["n"] for e in shop.received["Live"]] == [1, 2, 3, 4]  # no replay for the Live rule
    assert described["State"] == "COMPLETED"
    assert described["EventLastReplayedTime"].timestamp() == T0 + 2 * 60 + 3
    assert described["EventSourceArn"] == ARCHIVE_ARN and described["Destination"] == {"Arn": BUS_ARN}
    assert described["ReplayEndTime"] >= described["ReplayStartTime"]
    assert (
        shop.events.describe_archive(ArchiveName="orders-archive")["EventCount"] == 4
    )  # replays are not archived


def test_filter_arns_limit_a_replay_to_those_rules(clouds: CloudFactory, tmp_path: Path) -> None:
    shop = Shop(clouds, tmp_path)
    shop.rule("Other", {"source": ["shop.orders"]})
    shop.put(0, 1)
    shop.cloud.idle()
    assert len(shop.received["Other"]) == 1
    shop.replay("only-all", 0, 1, FilterArns=[shop.rules["All"]])
    shop.finished("only-all")
    assert [e.get("replay-name") for e in shop.received["All"]] == [None, "only-all"]
    assert len(shop.received["Other"]) == 1


def test_a_replay_reaches_api_destinations_through_the_ordinary_dispatch(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    shop = Shop(clouds, tmp_path)
    destination = sink_destination(shop.cloud)
    shop.events.put_rule(
        Name="Http", EventBusName="orders", EventPattern=json.dumps({"source": ["shop.orders"]})
    )
    transformer = {
        "InputPathsMap": {"id": "$.id", "replay": "$.replay-name"},
        "InputTemplate": '{"id": <id>, "replay": <replay>}',
    }
    shop.events.put_targets(
        Rule="Http",
        EventBusName="orders",
        Targets=[{"Id": "s", "Arn": destination, "InputTransformer": transformer}],
    )
    event_id = shop.put(0, 1)
    shop.cloud.idle()
    shop.replay("to-http", 0, 1)
    shop.finished("to-http")
    assert [request.json() for request in shop.cloud.sink.received] == [
        {"id": event_id, "replay": ""},
        {"id": event_id, "replay": "to-http"},
    ]


def test_cancel_replay_stops_it_at_the_next_minute(clouds: CloudFactory, tmp_path: Path) -> None:
    shop = Shop(clouds, tmp_path)
    for minute in range(5):
        shop.put(minute, minute)
    shop.cloud.idle()
    shop.received["All"].clear()
    service = shop.cloud.service
    request = {
        "ReplayName": "stop-me",
        "EventSourceArn": ARCHIVE_ARN,
        "EventStartTime": T0,
        "EventEndTime": T0 + 300,
        "Destination": {"Arn": BUS_ARN},
    }

    async def start_then_cancel() -> dict[str, Any]:
        await service.call("StartReplay", request)
        return await service.call("CancelReplay", {"ReplayName": "stop-me"})

    assert shop.cloud.loop.run(start_then_cancel()) == {
        "ReplayArn": f"{ACCOUNT}:replay/stop-me",
        "State": "CANCELLING",
    }
    described = shop.finished("stop-me")
    assert described["State"] == "CANCELLED" and shop.received["All"] == []
    assert refusal(shop.events.cancel_replay, ReplayName="stop-me")["Code"] == "IllegalStatusException"


def test_list_replays_filters_by_state_prefix_and_archive(clouds: CloudFactory, tmp_path: Path) -> None:
    shop = Shop(clouds, tmp_path)
    shop.put(0, 1)
    for name in ("a-1", "a-2", "b-1"):
        shop.replay(name, 0, 1)
        shop.finished(name)
    listed = shop.events.list_replays(NamePrefix="a-", State="COMPLETED", EventSourceArn=ARCHIVE_ARN)[
        "Replays"
    ]
    assert [replay["ReplayName"] for replay in listed] == ["a-1", "a-2"]
    assert set(listed[0]) == {"ReplayName", "EventSourceArn", "State", "EventStartTime", "EventEndTime",
                              "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime"}  # fmt: skip
    cli = aws_cli(shop.cloud.url, "list-replays", "--state", "COMPLETED").json()
    assert [replay["ReplayName"] for replay in cli["Replays"]] == ["a-1", "a-2", "b-1"]


def test_start_replay_errors_read_as_aws_writes_them(clouds: CloudFactory, tmp_path: Path) -> None:
    shop = Shop(clouds, tmp_path)
    events = shop.events
    events.create_event_bus(Name="other")
    other_rule = events.put_rule(Name="r", EventBusName="other", EventPattern='{"source": ["x"]}')["RuleArn"]
    base = {"ReplayName": "r1", "EventSourceArn": ARCHIVE_ARN, "EventStartTime": T0, "EventEndTime": T0 + 60,
            "Destination": {"Arn": BUS_ARN}}  # fmt: skip

    def start(**changes: Any) -> dict[str, str]:
        return refusal(events.start_replay, **{**base, **changes})

    assert start(EventEndTime=T0) == {
        "Code": "ValidationException",
        "Message": "Parameter EventEndTime is not valid. Reason: EventEndTime must be after EventStartTime.",
    }
    assert start(EventSourceArn=f"{ACCOUNT}:archive/nope") == {
        "Code": "ResourceNotFoundException",
        "Message": "Archive nope does not exist.",
    }
    assert start(Destination={"Arn": f"{ACCOUNT}:event-bus/other"}) == {
        "Code": "ValidationException",
        "Message": "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
    }
    assert start(Destination={"Arn": BUS_ARN, "FilterArns": [other_rule]})["Code"] == "ValidationException"
    assert start(Destination={"Arn": BUS_ARN, "FilterArns": [f"{ACCOUNT}:rule/orders/gone"]}) == {
        "Code": "ResourceNotFoundException",
        "Message": "Rule gone does not exist on EventBus orders.",
    }
    assert start(ReplayName="no spaces")["Code"] == "ValidationException"
    events.start_replay(**base)
    assert start() == {"Code": "ResourceAlreadyExistsException", "Message": "Replay r1 already exists."}
    assert refusal(events.describe_replay, ReplayName="nope") == {
        "Code": "ResourceNotFoundException",
        "Message": "Replay nope does not exist.",
    }


def test_the_aws_cli_starts_and_describes_a_replay(clouds: CloudFactory, tmp_path: Path) -> None:
    shop = Shop(clouds, tmp_path)
    shop.put(0, 1)
    shop.cloud.idle()
    started = aws_cli(
        shop.cloud.url, "start-replay", "--replay-name", "cli", "--event-source-arn", ARCHIVE_ARN,
        "--event-start-time", "2025-03-01T13:00:00Z", "--event-end-time", "2025-03-01T13:01:00Z",
        "--destination", json.dumps({"Arn": BUS_ARN}),
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    shop.finished("cli")
    described = aws_cli(shop.cloud.url, "describe-replay", "--replay-name", "cli").json()
    assert described["State"] == "COMPLETED"
    assert [e["replay-name"] for e in shop.received["All"] if "replay-name" in e] == ["cli"]


def test_a_replay_cut_short_by_a_stop_is_failed_after_the_restart(
    clouds: CloudFactory, tmp_path: Path
) -> None:
    shop = Shop(clouds, tmp_path / "state")
    for first in range(0, 200, 10):  # an event in each of 200 minutes
        entries = [
            {"EventBusName": "orders", "Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": "{}",
             "Time": T0 + minute * 60}
            for minute in range(first, first + 10)
        ]  # fmt: skip
        shop.events.put_events(Entries=entries)
    shop.cloud.idle()
    service = shop.cloud.service
    request = {"ReplayName": "cut", "EventSourceArn": ARCHIVE_ARN, "EventStartTime": T0,
               "EventEndTime": T0 + 200 * 60, "Destination": {"Arn": BUS_ARN}}  # fmt: skip

    async def start_and_stop() -> None:
        await service.call("StartReplay", request)
        for _ in range(3):  # the replay yields after each minute: it is a few minutes in
            await asyncio.sleep(0)
        await service.shutdown(0.5)

    shop.cloud.loop.run(start_and_stop())
    shop.cloud.loop.run(shop.cloud.server.stop(grace_seconds=0.5))
    again = clouds(tmp_path / "state")
    described = again.call("DescribeReplay", {"ReplayName": "cut"})
    assert described["State"] == "FAILED"
    last = described["EventLastReplayedTime"]
    assert T0 <= last < T0 + 199 * 60
    stamp = datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert described["StateReason"] == (
        f"The local EventBridge stopped during the replay, after the events up to {stamp}; start a new "
        "replay for the rest (consumers that deduplicate by event id skip what was delivered already)."
    )
