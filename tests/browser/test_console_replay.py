"""The console and an archive replay in Chromium: a notification replayed from the bus archive reaches the
browser again (same eventId, seen on the WebSocket) and the feed still shows it once, unread counted once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import WebSocket, expect

from tests.support.browser import entries_file, unique
from tests.support.local_cloud import RunningCloud

pytestmark = pytest.mark.browser


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_replayed_notification_is_shown_once(
    cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    console = open_console(cloud)
    frames: list[str] = []

    def watch(socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: frames.append(str(payload)))

    console.page.on("websocket", watch)
    console.sign_in_as("analyst-us")
    configuration = unique("cfg-replayed")
    start = time.time() - 1
    [event_id] = console.put_events(
        entries_file(tmp_path, "configuration-validated", configurationId=configuration)
    )
    expect(console.note(configuration)).to_be_visible(timeout=5_000)
    delivered = sum(event_id in frame for frame in frames)
    assert delivered >= 1

    bus = cloud.info["eventBusName"]
    # The rule that delivers, not its guard's ConfigurationValidatedRejectedRule (same prefix, sorted first).
    rule = cloud.aws_events("describe-rule", "--event-bus-name", bus, "--name", "ConfigurationValidatedRule")
    archive = cloud.aws_events("describe-archive", "--archive-name", "VehicleConfigArchive")
    destination = {
        "Arn": cloud.aws_events("describe-event-bus", "--name", bus)["Arn"],
        "FilterArns": [rule["Arn"]],
    }
    cloud.aws_events(
        "start-replay", "--replay-name", unique("console"),
        "--event-source-arn", archive["ArchiveArn"],
        "--event-start-time", iso(start), "--event-end-time", iso(time.time() + 2),
        "--destination", json.dumps(destination),
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while sum(event_id in frame for frame in frames) < 2 * delivered and time.monotonic() < deadline:
        console.page.wait_for_timeout(100)
    assert sum(event_id in frame for frame in frames) == 2 * delivered  # the replay reached the browser
    console.page.wait_for_timeout(300)
    expect(console.page.locator(f"#feed > li[data-event-id='{event_id}']")).to_have_count(1)
    expect(console.page.locator("#unread")).to_have_text("1")
