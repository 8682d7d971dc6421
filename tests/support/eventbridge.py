"""Test harness for the local EventBridge: a server on its own event-loop thread (so boto3 and the AWS CLI can
call it synchronously), an HTTP sink that records what API destinations send, and CLI/boto3 helpers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from aiohttp import web
from botocore.config import Config

from tests.support.loopback_http import serve_on_loopback
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.server import EventBridgeServer
from vcn.eventbridge.service import EventBridgeService
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.invoker import LambdaInvoker
from vcn.timetable import Clock

T = TypeVar("T")
AWS_CLI = str(Path(sys.executable).parent / "aws")
# The dead-letter queue (SQS queue "eb-dlq") the tests' targets name in their DeadLetterConfig.
DLQ_ARN = f"arn:aws:sqs:{LOCAL_ACCOUNT.region}:{LOCAL_ACCOUNT.account_id}:eb-dlq"
FAST = EventBridgeSettings(retry_base_seconds=0.01, retry_max_backoff_seconds=0.05, http_timeout_seconds=2.0)


# The members of an event as EventBridge delivers it to a target, in AWS's order.
EVENT_MEMBERS = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]


class LoopThread:
    """An asyncio loop running in a daemon thread; `run` executes a coroutine there and waits for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str = "ok"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class Sink:
    """An HTTP server on loopback that records every request and answers with scripted replies."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: deque[Reply] = deque()
        self.routes: dict[str, Callable[[Received], Reply]] = {}
        self.url = ""
        self.in_flight = 0  # requests being answered now
        self.most_in_flight = 0
        self._runner: web.AppRunner | None = None
        self._arrived: asyncio.Condition | None = None

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def requests_to(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]

    async def start(self) -> None:
        self._arrived = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A short shutdown timeout: tests leave slow replies in flight on purpose.
        self._runner, port = await serve_on_loopback(app, access_log=None, shutdown_timeout=0.2)
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        received = Received(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            [(key.decode(), value.decode()) for key, value in request.raw_headers],
            await request.read(),
            time.monotonic(),
        )
        route = self.routes.get(request.path)
        if route is not None:
            reply = route(received)
        else:
            self.received.append(received)
            reply = self.replies.popleft() if self.replies else Reply()
        assert self._arrived is not None
        async with self._arrived:
            self._arrived.notify_all()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
        finally:
            self.in_flight -= 1
        return web.Response(status=reply.status, headers=reply.headers, text=reply.body)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        assert self._arrived is not None
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.received) >= count), timeout)
        return self.received


@dataclass
class Cloud:
    loop: LoopThread
    service: EventBridgeService
    server: EventBridgeServer
    sink: Sink
    state_dir: Path
    crashed: bool = False

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Run a service operation on the server's loop (PutEvents needs it)."""

        return self.loop.run(self.service.call(operation, request))

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def poll() -> None:
            while not predicate():
                await asyncio.sleep(0.01)

        self.loop.run(asyncio.wait_for(poll(), timeout), timeout + 1)

    def idle(self, timeout: float = 10.0) -> None:
        """Wait until no delivery is pending."""
        self.wait_until(lambda: self.service.dispatcher.pending == 0, timeout)

    def crash(self) -> None:
        """Stop dead, as kill -9 would: no shutdown, no commit of what the journal had not committed yet."""
        self.crashed = True
        self.loop.close()
        # The dead loop's unfinished tasks are kept, never finalized: a finalizer would raise "Event loop is
        # closed" wherever garbage collection happens to run, inside other tests' code.
        _ABANDONED.extend(asyncio.all_tasks(self.loop.loop))


_ABANDONED: list[asyncio.Task[Any]] = []


@contextmanager
def sink_on_own_loop() -> Iterator[tuple[LoopThread, Sink]]:
    """A started `Sink` on a loop thread of its own (for an EventBridge in another process), stopped after."""
    loop, sink = LoopThread(), Sink()
    loop.run(sink.start())
    try:
        yield loop, sink
    finally:
        loop.run(sink.stop())
        loop.close()


@dataclass
class CloudFactory:
    clouds: list[Cloud] = field(default_factory=list)

    def __call__(
        self,
        state_dir: Path,
        settings: EventBridgeSettings = FAST,
        invoker: LambdaInvoker | None = None,
        clock: Clock | None = None,
        wall: Callable[[], float] = time.time,
        declare: Sequence[tuple[str, dict[str, Any]]] | Callable[[Cloud], object] = (),
        scripted: Sequence[Reply] = (),
    ) -> Cloud:
        """A local EventBridge on a state folder. `declare`: calls made before restoring what the API created
        and resuming the journal (as the local cloud replays the template's), or a function of the cloud that
        makes them (its sink is up and answers `scripted` first)."""
        loop = LoopThread()
        service = EventBridgeService(
            LOCAL_ACCOUNT.account_id,
            LOCAL_ACCOUNT.region,
            state_dir=state_dir,
            invoker=invoker,
            settings=settings,
            clock=clock,
            wall=wall,
        )
        server = EventBridgeServer(service)
        sink = Sink()
        loop.run(sink.start())
        sink.script(*scripted)
        cloud = Cloud(loop, service, server, sink, state_dir)

        async def start() -> None:
            if callable(declare):
                await asyncio.to_thread(declare, cloud)
            else:
                for operation, request in declare:
                    await service.call(operation, request)
            service.start()
            await server.start("127.0.0.1", 0)

        loop.run(start())
        self.clouds.append(cloud)
        return cloud

    def close(self) -> None:
        for cloud in self.clouds:
            if cloud.crashed:
                continue
            try:
                cloud.loop.run(cloud.server.stop(grace_seconds=0.5))
                cloud.loop.run(cloud.sink.stop())
            finally:
                cloud.loop.close()


def cloud_factory() -> Iterator[CloudFactory]:
    factory = CloudFactory()
    try:
        yield factory
    finally:
        factory.close()


def module_cloud(folder: str) -> Any:
    """A module-scoped `cloud` fixture (a module assigns it: `cloud = module_cloud("eb-x")`): one local
    EventBridge on a state folder named after `folder`, shared by all of the module's tests."""

    @pytest.fixture(scope="module")
    def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
        for factory in cloud_factory():
            yield factory(tmp_path_factory.mktemp(folder))

    return cloud


def events_client(url: str) -> Any:
    """A boto3 client that finds the endpoint through AWS_ENDPOINT_URL_EVENTBRIDGE, as users do."""
    previous = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL_EVENTBRIDGE",)}
    os.environ["AWS_ENDPOINT_URL_EVENTBRIDGE"] = url
    try:
        session = boto3.session.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        )
        return session.client("events", config=Config(retries={"max_attempts": 1}))
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def aws_cli(url: str, *args: str, cwd: Path | None = None) -> CliResult:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_PAGER": "",
    }
    completed = subprocess.run(
        [AWS_CLI, "--endpoint-url", url, "--output", "json", "events", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


def sink_destination(
    cloud: Cloud,
    name: str = "sink",
    *,
    path: str = "/in",
    auth: dict[str, Any] | None = None,
    rate: int | None = None,
    method: str = "POST",
) -> str:
    """Create a connection + API destination pointing at the cloud's sink; returns the destination ARN."""
    connection = cloud.call(
        "CreateConnection",
        {
            "Name": f"{name}-connection",
            "AuthorizationType": (auth or {}).get("type", "API_KEY"),
            "AuthParameters": (auth or {}).get(
                "parameters",
                {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret-key"}},
            ),
        },
    )
    request: dict[str, Any] = {
        "Name": name,
        "ConnectionArn": connection["ConnectionArn"],
        "InvocationEndpoint": cloud.sink.url + path,
        "HttpMethod": method,
    }
    if rate is not None:
        request["InvocationRateLimitPerSecond"] = rate
    return str(cloud.call("CreateApiDestination", request)["ApiDestinationArn"])


def rule_to(
    cloud: Cloud,
    target: dict[str, Any],
    *,
    rule: str = "r1",
    pattern: dict[str, Any] | None = None,
    bus: str = "default",
) -> str:
    arn = cloud.call(
        "PutRule",
        {"Name": rule, "EventBusName": bus, "EventPattern": json.dumps(pattern or {"source": ["test.app"]})},
    )["RuleArn"]
    cloud.call("PutTargets", {"Rule": rule, "EventBusName": bus, "Targets": [target]})
    return str(arn)


def put_event(
    cloud: Cloud, detail: dict[str, Any] | None = None, *, bus: str = "default", source: str = "test.app"
) -> str:
    result = cloud.call(
        "PutEvents",
        {
            "Entries": [
                {
                    "Source": source,
                    "DetailType": "Tested",
                    "Detail": json.dumps(detail or {}),
                    "EventBusName": bus,
                }
            ]
        },
    )
    assert result["FailedEntryCount"] == 0, result
    return str(result["Entries"][0]["EventId"])
