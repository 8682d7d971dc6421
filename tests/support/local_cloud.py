"""`vcn local up` as a user runs it, on free ports, for end-to-end tests; a raw AppSync WebSocket client."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import json
import os
import pty
import random
import select
import signal
import socket
import subprocess
import termios
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from vcn.local.state_lock import recorded_owner

ROOT = Path(__file__).resolve().parents[2]
VCN = str(ROOT / ".venv" / "bin" / "vcn")
AWS = str(ROOT / ".venv" / "bin" / "aws")
START_TIMEOUT = 120.0


# Ports handed to servers that bind them later come from below the kernel's ephemeral range (32768 up on
# Linux), where nothing binds port 0 and no outgoing connection takes its local port, and each pytest worker
# (pytest-xdist) has a slice of its own: a port chosen here stays free until the server that was given it
# binds it, seconds later for a whole local cloud.
_PORT_RANGE = (20_000, 32_000)
_next_port: list[int] = []


def _port_slice() -> range:
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % workers
    size = (_PORT_RANGE[1] - _PORT_RANGE[0]) // workers
    first = _PORT_RANGE[0] + worker * size
    return range(first, first + size)


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on now, from this worker's slice, not handed out lately."""
    ports = _port_slice()
    if not _next_port:
        _next_port.append(random.randrange(len(ports)))
    chosen: list[int] = []
    for _ in range(len(ports)):
        port = ports[_next_port[0] % len(ports)]
        _next_port[0] += 1
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"no {count} free ports in {ports}")


class Terminal:
    """A pseudo-terminal a cloud runs in (its controlling terminal), copied to the log until it is closed."""

    def __init__(self, log_path: Path) -> None:
        self.master, self.slave = pty.openpty()
        self._log_path = log_path
        self._closing = threading.Event()
        self._copier = threading.Thread(target=self._copy, daemon=True)

    def start_copying(self) -> None:
        os.close(self.slave)  # the cloud holds the only copy: its hangup is the terminal's
        self._copier.start()

    def _copy(self) -> None:
        with self._log_path.open("ab") as log:
            while not self._closing.is_set():
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if not ready:
                    continue
                try:
                    data = os.read(self.master, 65536)
                except OSError:  # EIO: nothing holds the terminal's other side any more
                    return
                log.write(data)
                log.flush()

    def close(self) -> None:
        """What closing a terminal window does: the master side goes, the session gets SIGHUP."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._copier.join()
        os.close(self.master)


def _control_terminal() -> None:
    # Runs in the child, after setsid: stdin (the pty's slave) becomes the new session's controlling terminal.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@dataclass
class RunningCloud:
    process: subprocess.Popen[bytes]
    state_dir: Path
    log_path: Path
    info: dict[str, Any]
    terminal: Terminal | None = None

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

    def queued_messages(
        self, queue: str, key: Callable[[dict[str, Any]], Any], wanted: set[str], *, timeout: float = 60
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """The messages of a local queue whose `key(vcn dlq show's document)` is in `wanted`, by that key, as
        (their `vcn dlq list` line, that document): read as a user reads them, once all arrived or the
        timeout passed."""
        deadline = time.monotonic() + timeout
        while True:
            listed = self.vcn("dlq", "list", "--queue", queue)
            assert listed.returncode == 0, listed.stderr
            found = {}
            for line in listed.stdout.splitlines():
                if line.strip() == "no dead-letter messages":
                    continue
                shown = json.loads(self.vcn("dlq", "show", line.split()[0]).stdout)
                if (found_key := key(shown)) in wanted:
                    found[found_key] = (line, shown)
            if len(found) >= len(wanted) or time.monotonic() > deadline:
                return found
            time.sleep(0.3)

    def aws_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "dummy",
            "AWS_SECRET_ACCESS_KEY": "dummy",
            "AWS_DEFAULT_REGION": self.info["region"],
        }

    def events_client(self) -> Any:
        """A real boto3 EventBridge client on this cloud, with the same dummy credentials as `aws_env`."""
        return boto3.client(
            "events",
            endpoint_url=self.info["eventbridge"],
            region_name=self.info["region"],
            aws_access_key_id="dummy",
            aws_secret_access_key="dummy",
        )

    def aws_events(self, *args: str) -> dict[str, Any]:
        """`aws events <args>` (the real AWS CLI) against this cloud's EventBridge; its JSON reply."""
        done = subprocess.run(
            [AWS, "events", "--endpoint-url", self.info["eventbridge"], "--output", "json", *args],
            capture_output=True,
            text=True,
            env={**self.aws_env(), "AWS_PAGER": ""},
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout)) if done.stdout.strip() else {}

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_cloud(
    state_dir: Path,
    *extra: str,
    ports: list[int] | None = None,
    own_session: bool = False,
    in_terminal: bool = False,
) -> RunningCloud:
    """`vcn local up` on free ports, or on `ports` (api, eventbridge, appsync, TLS[, dynamodb]) to restart in
    place.

    `own_session`: the cloud and its workers form their own process group, as a terminal's foreground job
    does, so a test can signal them all at once (`signal_group`). `in_terminal`: besides, they run in a
    pseudo-terminal of their own (`cloud.terminal`), which a test can close as a user closes a window.
    """
    chosen = list(ports or free_ports(5))
    if len(chosen) == 4:
        chosen += free_ports(1)
    api, eventbridge, appsync, tls, dynamodb = chosen
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir.parent / f"{state_dir.name}.log"
    terminal = Terminal(log_path) if in_terminal else None
    output: Any = terminal.slave if terminal else log_path.open("ab")
    process = subprocess.Popen(
        [
            VCN, "local", "up",
            "--state-dir", str(state_dir),
            "--api-port", str(api),
            "--eventbridge-port", str(eventbridge),
            "--appsync-port", str(appsync),
            "--appsync-tls-port", str(tls),
            "--dynamodb-port", str(dynamodb),
            "--grace-seconds", "1",
            *extra,
        ],
        cwd=ROOT,
        stdin=output if terminal else None,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=own_session or in_terminal,
        preexec_fn=_control_terminal if terminal else None,
    )  # fmt: skip
    if terminal:
        terminal.start_copying()
    local_json = state_dir / "local.json"
    deadline = time.monotonic() + START_TIMEOUT
    # Ready once this process holds the state folder and wrote local.json (a killed predecessor's
    # local.json is removed before the new pid is recorded, so it is never mistaken for this one's).
    while not (_holder_pid(state_dir) == process.pid and local_json.exists()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(
                f"vcn local up did not become ready:\n{log_path.read_text(errors='replace')}"
            )
        time.sleep(0.1)
    return RunningCloud(process, state_dir, log_path, json.loads(local_json.read_text()), terminal)


def _holder_pid(state_dir: Path) -> int | None:
    owner = recorded_owner(state_dir)
    return owner.pid if owner else None


def signal_group(cloud: RunningCloud, how: signal.Signals) -> None:
    """Signal the cloud's whole process group (started with `own_session`), as a terminal does."""
    os.killpg(cloud.process.pid, how)


def stop_cloud(cloud: RunningCloud, how: signal.Signals = signal.SIGINT) -> None:
    cloud.process.send_signal(how)
    try:
        code = cloud.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        cloud.process.kill()
        raise AssertionError(f"vcn local up did not stop on {how.name}:\n{cloud.log_tail()}") from None
    assert code == 0, cloud.log_tail()
    assert not (cloud.state_dir / "local.json").exists(), "local.json must be removed on exit"


@contextmanager
def cloud_running(
    state_dir: Path,
    *extra: str,
    stop_with: signal.Signals = signal.SIGINT,
    unless_stopped: bool = False,
) -> Iterator[RunningCloud]:
    """`start_cloud(state_dir, *extra)` for the length of a block, stopped at its end with
    `stop_with` (and checked to stop cleanly). `unless_stopped`: the block may stop or kill the cloud itself
    (a restart test); one whose process has ended is then left as it is."""
    cloud = start_cloud(state_dir, *extra)
    try:
        yield cloud
    finally:
        if not (unless_stopped and cloud.process.poll() is not None):
            stop_cloud(cloud, stop_with)


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
