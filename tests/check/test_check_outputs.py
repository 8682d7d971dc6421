"""The outputs the app profile names (`--stack` commands and clients read them) lead where their names say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app_profile import PROFILE
from tests.check.conftest import PROJECT_TEMPLATE, Change, check, failure, seeded_copy

HTTP, REALTIME, BUS, QUEUE, API = (
    "EventsHttpEndpoint",
    "EventsRealtimeEndpoint",
    "EventBusName",
    "ValidationDeadLetterQueueUrl",
    "ConfigurationApiUrl",
)
ON_THE_HTTP_HOST = {"Fn::Sub": "wss://${EventsApi.Dns.Http}/event/realtime"}
AT_THE_WEBSOCKET_PATH = {"Fn::Sub": "https://${EventsApi.Dns.Http}/event/realtime"}
REALTIME_FORM = "not 'wss://${EventsApi.Dns.Realtime}/event/realtime'"


def output(name: str, value: Any) -> Change:
    def change(document: dict[str, Any]) -> None:
        if value is None:
            del document["Outputs"][name]
        else:
            document["Outputs"][name]["Value"] = value

    return change


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        (REALTIME, ON_THE_HTTP_HOST, f"it is {ON_THE_HTTP_HOST['Fn::Sub']!r}, {REALTIME_FORM}"),
        (HTTP, AT_THE_WEBSOCKET_PATH, "not 'https://${EventsApi.Dns.Http}/event'"),
        (HTTP, "https://example.com/event", "built from no single AppSync API of the template"),
        (BUS, "vehicle-config-typo", "not a bus's name (AWS::Events::EventBus) of the template"),
        (QUEUE, {"Ref": "VehicleConfigBus"}, "not a queue's URL (AWS::SQS::Queue) of the template"),
        (API, None, "the app profile names this output for `--stack` commands, and the template has none"),
    ],
    ids=[
        "realtime-on-the-http-host",
        "publish-at-the-websocket-path",
        "publish-elsewhere",
        "bus",
        "queue",
        "gone",
    ],
)
def test_an_output_that_leads_elsewhere_fails_naming_it(
    tmp_path: Path, name: str, value: Any, why: str
) -> None:
    report = check(seeded_copy(PROJECT_TEMPLATE, tmp_path, output(name, value)), PROFILE)
    assert why in failure(report, "outputs", f"Outputs.{name}").problem
    assert [f.resource for f in report.results.failures("outputs")] == [f"Outputs.{name}"]
