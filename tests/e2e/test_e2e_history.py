"""End to end on `vcn local up`: notifications put with the AWS CLI while nobody listens are in the history.

They need a local DynamoDB (moto, persisted in the state folder, announced as `dynamodb` in local.json), so
they are skipped on a local cloud without one.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from vehicle_config.notifications import CONFIGURATION_VALIDATED

from tests.support.history_cloud import put_validations
from tests.support.local_cloud import RunningCloud, cloud_running, start_cloud, stop_cloud

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
USER = "analyst-de"  # a demo analyst granted market DE
RECORDING_TIMEOUT = 30.0


def needs_dynamodb(cloud: RunningCloud) -> None:
    if not cloud.info.get("dynamodb"):
        pytest.skip("this local cloud has no DynamoDB yet (local.json has no `dynamodb` endpoint)")


@pytest.fixture
def cloud(local_cloud: RunningCloud) -> RunningCloud:
    needs_dynamodb(local_cloud)
    return local_cloud


@pytest.fixture
def own_cloud(cloud: RunningCloud, tmp_path: Path) -> Iterator[RunningCloud]:
    """A cloud of this test's own, which it may kill -9 and restart on the same state folder (started only
    when the session's cloud has DynamoDB)."""
    with cloud_running(tmp_path / "state", unless_stopped=True) as started:
        needs_dynamodb(started)
        yield started


def call(cloud: RunningCloud, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        cloud.info["api"] + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def read_all(
    cloud: RunningCloud, token: str, channel: str, limit: int
) -> tuple[list[dict[str, Any]], list[int]]:
    items: list[dict[str, Any]] = []
    pages: list[int] = []
    query = {"channel": channel, "limit": str(limit)}
    while True:
        status, body = call(cloud, "GET", f"/notifications?{urlencode(query)}", token)
        assert status == 200, body
        items += body["items"]
        pages.append(len(body["items"]))
        if body["nextCursor"] is None:
            return items, pages
        query["after"] = body["nextCursor"]


def wait_for(cloud: RunningCloud, token: str, channel: str, event_ids: list[str]) -> list[dict[str, Any]]:
    """The channel's history once every one of `event_ids` is in it (recording is asynchronous)."""
    deadline = time.monotonic() + RECORDING_TIMEOUT
    while True:
        items, _ = read_all(cloud, token, channel, 100)
        if {item["eventId"] for item in items} >= set(event_ids) or time.monotonic() > deadline:
            return [item for item in items if item["eventId"] in set(event_ids)]
        time.sleep(0.5)


def test_twelve_notifications_put_while_nobody_listens_are_in_the_history_paged_by_five(
    cloud: RunningCloud, tmp_path: Path
) -> None:
    model_line = f"H{uuid.uuid4().hex[:6].upper()}"  # a model line of this test's own
    token = cloud.token(USER)
    event_ids = put_validations(cloud, tmp_path, 12, market="DE", model_line=model_line, user=USER)
    wait_for(cloud, token, f"/markets/DE/{model_line}", event_ids)
    for channel in (f"/users/{USER}", "/markets/DE/*", f"/markets/DE/{model_line}"):
        items, pages = read_all(cloud, token, channel, 5)
        mine = [item for item in items if item["eventId"] in set(event_ids)]
        assert sorted(item["eventId"] for item in mine) == sorted(event_ids), channel  # each once
        if channel.endswith(model_line):
            assert pages == [5, 5, 2]
        assert all(item["type"] == CONFIGURATION_VALIDATED and item["channel"] for item in mine)
    assert call(cloud, "GET", "/notifications?channel=/markets/US/*", token)[0] == 403
    assert call(cloud, "GET", f"/notifications?channel=/markets/DE/{model_line}", None)[0] == 401


def test_read_state_is_kept_per_user(cloud: RunningCloud, tmp_path: Path) -> None:
    model_line = f"R{uuid.uuid4().hex[:6].upper()}"
    token = cloud.token(USER)
    event_ids = put_validations(cloud, tmp_path, 3, market="DE", model_line=model_line, user=USER)
    channel = f"/markets/DE/{model_line}"
    items = wait_for(cloud, token, channel, event_ids)
    assert call(cloud, "GET", f"/notifications/unread-count?channel={channel}", token)[1]["unread"] >= 3
    assert call(cloud, "POST", "/notifications/read", token, {"upTo": items[-1]["cursor"]})[0] == 200
    status, count = call(cloud, "GET", f"/notifications/unread-count?channel={channel}", cloud.token(USER))
    assert (status, count["unread"], count["readUpTo"]) == (200, 0, items[-1]["cursor"])


def test_the_history_survives_kill_9_and_a_restart_on_the_same_state_folder(
    own_cloud: RunningCloud, tmp_path: Path
) -> None:
    token = own_cloud.token(USER)
    event_ids = put_validations(own_cloud, tmp_path, 12, market="DE", model_line="VELA", user=USER)
    before = wait_for(own_cloud, token, "/markets/DE/VELA", event_ids)
    assert len(before) == 12
    own_cloud.process.send_signal(signal.SIGKILL)
    own_cloud.process.wait(timeout=30)
    (own_cloud.state_dir / "local.json").unlink(missing_ok=True)  # a killed cloud cannot remove it
    restarted = start_cloud(own_cloud.state_dir)
    try:
        after, _ = read_all(restarted, restarted.token(USER), "/markets/DE/VELA", 5)
        assert [item["eventId"] for item in after] == [item["eventId"] for item in before]
    finally:
        stop_cloud(restarted)
