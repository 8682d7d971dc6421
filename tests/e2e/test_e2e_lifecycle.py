"""`vcn local up` as processes: one cloud per state folder, a killed cloud's local.json never trusted, and a
closed terminal (SIGHUP to the process group) stopping as cleanly as Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from tests.support.flaky_appsync import EventEndpoint
from tests.support.local_cloud import (
    ROOT,
    VCN,
    RunningCloud,
    cloud_running,
    free_ports,
    signal_group,
    start_cloud,
    stop_cloud,
)
from vcn.local.state_lock import LOCK_FILE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def ports_of(cloud: RunningCloud) -> list[int]:
    info = cloud.info
    urls = [info["api"], info["eventbridge"], info["appsync"]["http"], info["appsync"]["https"]]
    return [int(url.split(":")[2].split("/")[0]) for url in urls]


def local_up(state_dir: Path, ports: list[int]) -> subprocess.CompletedProcess[str]:
    api, eventbridge, appsync, tls = ports
    return subprocess.run(
        [
            VCN, "local", "up", "--state-dir", str(state_dir),
            "--api-port", str(api), "--eventbridge-port", str(eventbridge),
            "--appsync-port", str(appsync), "--appsync-tls-port", str(tls),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )  # fmt: skip


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[RunningCloud]:
    with cloud_running(tmp_path / "state", unless_stopped=True) as running:
        yield running


def test_a_second_cloud_on_the_same_state_dir_is_refused_and_the_first_keeps_running(
    cloud: RunningCloud,
) -> None:
    local_json = (cloud.state_dir / "local.json").read_text()
    # The same ports too: the state folder is named first, before any port is found taken.
    second = local_up(cloud.state_dir, ports_of(cloud))
    assert second.returncode == 1, second.stderr
    assert second.stderr.startswith(
        f"error: a local cloud is already running on state dir {cloud.state_dir} (pid {cloud.process.pid}, "
    ), second.stderr
    for endpoint in (cloud.info["api"], cloud.info["eventbridge"], cloud.info["appsync"]["http"]):
        assert endpoint in second.stderr
    assert f"`kill {cloud.process.pid}`" in second.stderr and second.stderr.count("\n") == 1
    # A second cloud on other ports is refused the same way (the folder, not the ports, decides).
    elsewhere = local_up(cloud.state_dir, free_ports(4))
    assert elsewhere.returncode == 1 and "already running on state dir" in elsewhere.stderr

    assert (cloud.state_dir / "local.json").read_text() == local_json, "the first one's local.json stays"
    assert cloud.info["profile"] == "vehicle-config-notifications"  # the CLI mints tokens for its demo users
    assert cloud.process.poll() is None
    token = cloud.token("analyst-fr")
    users = requests.get(f"{cloud.info['api']}/dev/users", timeout=10)
    assert users.status_code == 200 and token.count(".") == 2

    stop_cloud(cloud)
    assert (cloud.state_dir / LOCK_FILE).read_text() == "", "a clean stop leaves no owner recorded"


def test_after_kill_9_commands_report_the_stale_local_json_and_a_restart_replaces_it(
    cloud: RunningCloud,
) -> None:
    ports = ports_of(cloud)
    stale_pid = cloud.process.pid
    cloud.process.kill()  # SIGKILL: no cleanup runs; local.json stays behind
    cloud.process.wait()
    assert (cloud.state_dir / "local.json").exists()

    expected = (
        f"error: no local cloud is running for state dir {cloud.state_dir} (stale local.json from pid "
        f"{stale_pid}, which is gone); start one with `vcn local up`, which replaces it\n"
    )
    for command in (("token", "--user", "analyst-de"), ("metrics",), ("emit", "events/put-events/x.json")):
        result = cloud.vcn(*command)
        assert (result.returncode, result.stderr) == (1, expected), command

    # Restarted in place (same folder, same ports: the killed one's workers held none of them).
    again = start_cloud(cloud.state_dir, ports=ports)
    cloud.process, cloud.info = again.process, again.info
    log = cloud.log_path.read_text()
    assert (
        f"removed the stale {cloud.state_dir / 'local.json'} left by a local cloud that is gone "
        f"(pid {stale_pid}" in log
    )
    metrics = cloud.vcn("metrics")
    assert metrics.returncode == 0, metrics.stderr
    assert cloud.token("analyst-de").count(".") == 2


class FlakySink(EventEndpoint):
    """An HTTP target that answers 429 (Retry-After: 1) until the test closes the terminal, then 200."""

    def __init__(self) -> None:
        super().__init__()
        self.terminal_closed = False
        self.refused = 0
        self.delivered: list[dict[str, Any]] = []
        self.first_attempt = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.first_attempt.set()
        if not self.terminal_closed:
            self.refused += 1
            return web.Response(status=429, headers={"Retry-After": "1"})
        self.delivered.append(body)
        return web.json_response({})


def _route_to(cloud: RunningCloud, url: str) -> Any:
    """A rule of this test's own on the cloud's bus, targeting `url` through an API destination."""
    events = cloud.events_client()
    bus = cloud.info["eventBusName"]
    connection = events.create_connection(
        Name="LifecycleSink",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "sink"}},
    )["ConnectionArn"]
    destination = events.create_api_destination(
        Name="LifecycleSink", ConnectionArn=connection, InvocationEndpoint=url, HttpMethod="POST"
    )["ApiDestinationArn"]
    events.put_rule(
        Name="lifecycle-sink", EventBusName=bus, EventPattern=json.dumps({"source": ["test.lifecycle"]})
    )
    reply = events.put_targets(
        Rule="lifecycle-sink",
        EventBusName=bus,
        Targets=[{"Id": "sink", "Arn": destination, "RoleArn": "arn:aws:iam::000000000000:role/x"}],
    )
    assert reply["FailedEntryCount"] == 0, reply
    return events


def close_terminal(cloud: RunningCloud) -> None:
    assert cloud.terminal is not None
    cloud.terminal.close()


STOPS: dict[str, Callable[[RunningCloud], None]] = {
    "terminal-closed": close_terminal,  # the pty goes: SIGHUP from the kernel, and no terminal to log to
    "sighup-to-the-group": lambda cloud: signal_group(cloud, signal.SIGHUP),
    "ctrl-c-to-the-group": lambda cloud: signal_group(cloud, signal.SIGINT),
}


@pytest.mark.parametrize("how", list(STOPS))
def test_closing_the_terminal_or_ctrl_c_stops_cleanly_after_the_grace_period(
    tmp_path: Path, how: str
) -> None:
    cloud = start_cloud(tmp_path / "state", "--grace-seconds", "15", in_terminal=True)
    try:

        async def scenario() -> tuple[FlakySink, str]:
            sink = FlakySink()
            await sink.start()
            try:
                events = await asyncio.to_thread(_route_to, cloud, sink.url)
                entry = {"Source": "test.lifecycle", "DetailType": "Pending", "Detail": '{"n": 1}'}
                sent = await asyncio.to_thread(
                    events.put_events, Entries=[{**entry, "EventBusName": cloud.info["eventBusName"]}]
                )
                assert sent["FailedEntryCount"] == 0, sent
                await asyncio.wait_for(sink.first_attempt.wait(), 30)
                # The terminal closes (or Ctrl-C) while the delivery waits for its retry.
                sink.terminal_closed = True
                STOPS[how](cloud)
                code = await asyncio.to_thread(cloud.process.wait, 60)
                assert code == 0, cloud.log_tail()
                return sink, str(sent["Entries"][0]["EventId"])
            finally:
                await sink.stop()

        started = time.monotonic()
        sink, event_id = asyncio.run(scenario())
    finally:
        if cloud.process.poll() is None:
            cloud.process.kill()
            cloud.process.wait()
        if cloud.terminal is not None:
            cloud.terminal.close()

    assert sink.refused >= 1
    assert [event["id"] for event in sink.delivered] == [event_id], cloud.log_tail()
    assert time.monotonic() - started < 60
    log = cloud.log_path.read_text()
    if how != "terminal-closed":  # a closed terminal shows nothing the cloud writes after it went
        assert "shutting down" in log and "stopped" in log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, cloud.log_tail()
    assert "went to dead-letter queues" not in log
    assert not (cloud.state_dir / "local.json").exists()
    assert (cloud.state_dir / LOCK_FILE).read_text() == ""
    workers = subprocess.run(["pgrep", "-g", str(cloud.process.pid)], capture_output=True, text=True)
    assert workers.stdout == "", "every worker of the group has exited"
