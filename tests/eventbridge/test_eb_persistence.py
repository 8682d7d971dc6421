"""Control-plane state across restarts: what the API created comes back, the template wins a name clash,
connections and API destinations keep their ARNs, and a damaged file is kept aside rather than lost."""

from __future__ import annotations

import json
import logging
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.eventbridge import events_client
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.control_plane import ControlPlane
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.operations import ServiceOperation, operation_table
from vcn.eventbridge.resource_store import RESOURCES_FILE
from vcn.eventbridge.settings import EventBridgeSettings

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:Worker"
API_KEY = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "the-key"}}
EVENT = {
    "id": "1",
    "source": "shop.orders",
    "detail-type": "OrderShipped",
    "account": "000000000000",
    "time": "2025-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {},
}


class Start:
    """One start of the local EventBridge's control plane on a state folder, as the local cloud runs it:
    the template's calls first, then `restore()`, then API calls."""

    def __init__(self, state_dir: Path) -> None:
        self.plane = ControlPlane(
            LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region, EventBridgeSettings(), state_dir=state_dir
        )
        self.table: dict[str, ServiceOperation] = operation_table(self.plane.operations())

    def __call__(self, operation: str, **request: Any) -> dict[str, Any]:
        reply = self.table[operation](request)
        assert isinstance(reply, dict), f"{operation} is a control-plane operation: it answers at once"
        return reply

    def template(self, *calls: tuple[str, dict[str, Any]]) -> Start:
        for operation, request in calls:
            self(operation, **request)
        self.plane.restore()
        return self


def shop_template(pattern: str = '{"source": ["shop.orders"]}') -> list[tuple[str, dict[str, Any]]]:
    return [
        ("CreateEventBus", {"Name": "orders"}),
        ("CreateConnection", {"Name": "publish", "AuthorizationType": "API_KEY", "AuthParameters": API_KEY}),
        ("PutRule", {"Name": "shipped", "EventBusName": "orders", "EventPattern": pattern}),
    ]


def test_resources_created_through_the_api_come_back_after_a_restart(tmp_path: Path) -> None:
    first = Start(tmp_path).template()
    first("CreateEventBus", Name="audit", Description="kept", Tags=[{"Key": "team", "Value": "ops"}])
    rule_arn = first(
        "PutRule", Name="watch", EventBusName="audit", EventPattern='{"source": ["shop.orders"]}'
    )["RuleArn"]
    target = {"Id": "fn", "Arn": LAMBDA, "InputPath": "$.detail", "RetryPolicy": {"MaximumRetryAttempts": 3}}
    first("PutTargets", Rule="watch", EventBusName="audit", Targets=[target])
    first("DisableRule", Name="watch", EventBusName="audit")
    connection = first("CreateConnection", Name="hook", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    destination = first(
        "CreateApiDestination",
        Name="hook",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint="https://example.com/hook",
        HttpMethod="PUT",
    )
    first("UpdateEventBus", Description="the default bus")
    first("PutPermission", Action="events:PutEvents", Principal="123456789012", StatementId="s1")
    before = {
        "bus": first("DescribeEventBus", Name="audit"),
        "rule": first("DescribeRule", Name="watch", EventBusName="audit"),
        "default": first("DescribeEventBus"),
    }

    again = Start(tmp_path).template()
    assert again("DescribeEventBus", Name="audit") == before["bus"]
    assert again("DescribeRule", Name="watch", EventBusName="audit") == before["rule"]
    assert again("DescribeEventBus") == before["default"]
    assert again("ListTargetsByRule", Rule="watch", EventBusName="audit")["Targets"] == [target]
    assert again("ListTagsForResource", ResourceARN=before["bus"]["Arn"])["Tags"] == [
        {"Key": "team", "Value": "ops"}
    ]
    assert again("DescribeConnection", Name="hook")["ConnectionArn"] == connection["ConnectionArn"]
    assert (
        again("DescribeApiDestination", Name="hook")["ApiDestinationArn"] == destination["ApiDestinationArn"]
    )
    # The restored connection still holds its secret, so deliveries can authorize.
    found = again.plane.api_destination_for(destination["ApiDestinationArn"])
    assert found is not None and found[1].auth_parameters == API_KEY
    # The restored rule is back in its bus's index once enabled.
    again("EnableRule", Name="watch", EventBusName="audit")
    bus = again.plane.bus("audit")
    assert bus is not None and bus.index.match(EVENT) == ["watch"]
    assert again.plane.target(rule_arn, "fn") is not None


def test_deleted_resources_stay_deleted(tmp_path: Path) -> None:
    first = Start(tmp_path).template()
    first("CreateEventBus", Name="gone")
    first("DeleteEventBus", Name="gone")
    again = Start(tmp_path).template()
    with pytest.raises(EventBridgeError) as raised:
        again("DescribeEventBus", Name="gone")
    assert raised.value.code == "ResourceNotFoundException"


def test_the_template_wins_a_name_clash_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = Start(tmp_path).template()
    first("CreateEventBus", Name="orders", Description="made by hand")
    first("PutRule", Name="shipped", EventBusName="orders", EventPattern='{"source": ["by-hand"]}')
    with caplog.at_level(logging.WARNING, "vcn.eventbridge"):
        again = Start(tmp_path).template(*shop_template())
    assert again("DescribeRule", Name="shipped", EventBusName="orders")["EventPattern"] == (
        '{"source": ["shop.orders"]}'
    )
    assert "Description" not in again("DescribeEventBus", Name="orders")
    warnings = "\n".join(record.getMessage() for record in caplog.records)
    assert "event bus orders was created through the API" in warnings
    assert "rule orders/shipped was created through the API" in warnings


def test_changes_to_template_resources_last_until_the_next_start(tmp_path: Path) -> None:
    first = Start(tmp_path).template(*shop_template())
    rule_arn = first("PutRule", Name="shipped", EventBusName="orders", EventPattern='{"source": ["drift"]}')[
        "RuleArn"
    ]
    first("TagResource", ResourceARN=rule_arn, Tags=[{"Key": "drift", "Value": "yes"}])
    first("PutRule", Name="extra", EventBusName="orders", EventPattern='{"source": ["extra"]}')

    again = Start(tmp_path).template(*shop_template())
    assert again("DescribeRule", Name="shipped", EventBusName="orders")["EventPattern"] == (
        '{"source": ["shop.orders"]}'
    )
    assert again("ListTagsForResource", ResourceARN=rule_arn)["Tags"] == []
    # A rule created through the API on the template's bus comes back.
    assert (
        again("DescribeRule", Name="extra", EventBusName="orders")["EventPattern"] == '{"source": ["extra"]}'
    )


def test_template_connections_and_destinations_keep_their_arns(tmp_path: Path) -> None:
    first = Start(tmp_path).template(*shop_template())
    connection_arn = first("DescribeConnection", Name="publish")["ConnectionArn"]
    destination_arn = first(
        "CreateApiDestination",
        Name="publish",
        ConnectionArn=connection_arn,
        InvocationEndpoint="https://example.com/",
        HttpMethod="POST",
    )["ApiDestinationArn"]
    again = Start(tmp_path).template(*shop_template())
    assert again("DescribeConnection", Name="publish")["ConnectionArn"] == connection_arn
    found = again.plane.api_destination_for(destination_arn)
    assert found is not None and found[1].arn == connection_arn


def test_a_connection_deleted_and_created_again_gets_a_new_arn(tmp_path: Path) -> None:
    start = Start(tmp_path).template()
    arn = start("CreateConnection", Name="c", AuthorizationType="API_KEY", AuthParameters=API_KEY)[
        "ConnectionArn"
    ]
    start("DeleteConnection", Name="c")
    again = start("CreateConnection", Name="c", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    assert again["ConnectionArn"] != arn


def test_rules_on_a_bus_the_template_no_longer_declares_are_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = Start(tmp_path).template(*shop_template())
    first("PutRule", Name="orphan", EventBusName="orders", EventPattern='{"source": ["x"]}')
    with caplog.at_level(logging.WARNING, "vcn.eventbridge"):
        Start(tmp_path).template()
    [warning] = [record.getMessage() for record in caplog.records if "orphan" in record.getMessage()]
    assert "event bus orders, which no longer exists" in warning
    assert '"eventPattern": "{\\"source\\": [\\"x\\"]}"' in warning


def test_nothing_is_saved_before_restore(tmp_path: Path) -> None:
    first = Start(tmp_path).template()
    first("CreateEventBus", Name="precious")
    saved = (tmp_path / RESOURCES_FILE).read_text()
    half_started = Start(tmp_path)  # the template's calls run before restore(); say the start fails here
    half_started("CreateEventBus", Name="from-template")
    assert (tmp_path / RESOURCES_FILE).read_text() == saved


def test_the_file_is_private_and_written_whole(tmp_path: Path) -> None:
    Start(tmp_path).template()(
        "CreateConnection", Name="c", AuthorizationType="API_KEY", AuthParameters=API_KEY
    )
    path = tmp_path / RESOURCES_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == [RESOURCES_FILE]  # no temporary file left behind


def test_an_unreadable_file_is_moved_aside_not_overwritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / RESOURCES_FILE).write_text("{ not json")
    with caplog.at_level(logging.ERROR, "vcn.eventbridge"):
        start = Start(tmp_path).template()
    [aside] = list(tmp_path.glob(f"{RESOURCES_FILE}.unreadable-*"))
    assert aside.read_text() == "{ not json"
    assert "could not be read" in caplog.text
    start("CreateEventBus", Name="fresh")
    assert Start(tmp_path).template()("DescribeEventBus", Name="fresh")["Name"] == "fresh"


def test_the_standalone_eventbridge_keeps_its_resources_across_restarts(tmp_path: Path) -> None:
    def serve() -> tuple[subprocess.Popen[str], Any]:
        process = subprocess.Popen(
            [sys.executable, "-m", "vcn.eventbridge", "--port", "0", "--state-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        match = re.search(r"(http://\S+)", process.stdout.readline())
        assert match is not None, "the EventBridge did not say where it listens"
        return process, events_client(match.group(1))

    def stop(process: subprocess.Popen[str]) -> None:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        assert process.returncode == 0

    process, events = serve()
    try:
        events.create_event_bus(Name="standalone", Description="survives")
    finally:
        stop(process)
    process, events = serve()
    try:
        assert events.describe_event_bus(Name="standalone")["Description"] == "survives"
    finally:
        stop(process)
