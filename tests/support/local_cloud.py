"""`vcn local up` as a user runs it, on free ports, for end-to-end tests; a raw AppSync WebSocket client."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parents[2]
VCN = str(ROOT / ".venv" / "bin" / "vcn")
AWS = str(ROOT / ".venv" / "bin" / "aws")
START_TIMEOUT = 120.0


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        sockets.append(probe)
    ports = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return ports


@dataclass
class RunningCloud:
    process: subprocess.Popen[bytes]
    state_dir: Path
    log_path: Path
    info: dict[str, Any]

    def vcn(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [VCN, *args, "--state-dir", str(self.state_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )

    def token(self, user: str, *extra: str) -> str:
        result = self.vcn("token", "--user", user, *extra)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def aws_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "dummy",
            "AWS_SECRET_ACCESS_KEY": "dummy",
            "AWS_DEFAULT_REGION": self.info["region"],
        }

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_cloud(
    state_dir: Path, *extra: str, ports: list[int] | None = None, own_process_group: bool = False
) -> RunningCloud:
    """`vcn local up` on free ports, or on `ports` (api, eventbridge, appsync, TLS) to restart in place;
    `own_process_group` starts it in a session of its own, so a test can kill it with all its workers."""
    api, eventbridge, appsync, tls = ports or free_ports(4)
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir.parent / f"{state_dir.name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [
            VCN, "local", "up",
            "--state-dir", str(state_dir),
            "--api-port", str(api),
            "--eventbridge-port", str(eventbridge),
            "--appsync-port", str(appsync),
            "--appsync-tls-port", str(tls),
            "--grace-seconds", "1",
            *extra,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=own_process_group,
    )  # fmt: skip
    local_json = state_dir / "local.json"
    deadline = time.monotonic() + START_TIMEOUT
    while not local_json.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(
                f"vcn local up did not become ready:\n{log_path.read_text(errors='replace')}"
            )
        time.sleep(0.1)
    return RunningCloud(process, state_dir, log_path, json.loads(local_json.read_text()))


def stop_cloud(cloud: RunningCloud, how: signal.Signals = signal.SIGINT) -> None:
    cloud.process.send_signal(how)
    try:
        code = cloud.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        cloud.process.kill()
        raise AssertionError(f"vcn local up did not stop on {how.name}:\n{cloud.log_tail()}") from None
    assert code == 0, cloud.log_tail()
    assert not (cloud.state_dir / "local.json").exists(), "local.json must be removed on exit"


class RawSubscriber:
    """The AppSync Events WebSocket protocol spoken by hand (no project client in between)."""

    def __init__(self, realtime_url: str, token: str) -> None:
        self.realtime_url = realtime_url
        self.host = realtime_url.split("://", 1)[1].split("/", 1)[0]
        self.auth = {"Authorization": token, "host": self.host}
        self.ws: ClientConnection | None = None

    async def __aenter__(self) -> RawSubscriber:
        header = base64.urlsafe_b64encode(json.dumps(self.auth).encode()).decode().rstrip("=")
        self.ws = await connect(
            self.realtime_url,
            subprotocols=[Subprotocol("aws-appsync-event-ws"), Subprotocol(f"header-{header}")],
        )
        await self.ws.send(json.dumps({"type": "connection_init"}))
        ack = await self.next_frame(10)
        assert ack["type"] == "connection_ack", ack
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def next_frame(self, timeout: float) -> dict[str, Any]:
        assert self.ws is not None
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame.get("type") != "ka":
                return dict(frame)

    async def subscribe(self, channel: str) -> dict[str, Any]:
        assert self.ws is not None
        subscription_id = str(uuid.uuid4())
        await self.ws.send(
            json.dumps(
                {"type": "subscribe", "id": subscription_id, "channel": channel, "authorization": self.auth}
            )
        )
        return await self.next_frame(30)

    async def notifications(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """The next `count` data frames' events, parsed; fewer if `timeout` passes first."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(received) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                frame = await self.next_frame(remaining)
            except TimeoutError:
                break
            assert frame["type"] == "data", frame
            received.append(json.loads(frame["event"]))
        return received
