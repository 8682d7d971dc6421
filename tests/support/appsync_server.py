"""Helpers of the AppSync Events conformance tests: a server on a free port and a raw WebSocket client."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import websockets
from websockets.asyncio.client import ClientConnection

from vcn.appsync.config import ApiKey, EventApiConfig, Namespace
from vcn.appsync.protocol import AppSyncLimits
from vcn.appsync.server import AppSyncEventsServer
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.invoker import LambdaInvoker

API_KEY = "da2-localtestkey"
KEY_AUTH = {"x-api-key": API_KEY, "host": "example.appsync-api.us-east-1.amazonaws.com"}
T = TypeVar("T")


def run(coro: Awaitable[T], timeout: float = 60) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def api_config(*namespaces: Namespace, **overrides: Any) -> EventApiConfig:
    settings: dict[str, Any] = {
        "name": "test-api",
        "api_id": "testapi123",
        "account": LOCAL_ACCOUNT.account_id,
        "region": LOCAL_ACCOUNT.region,
        "namespaces": namespaces or (Namespace("default"), Namespace("other")),
        "api_keys": (ApiKey("Key", API_KEY, int(time.time()) + 3600),),
    }
    settings.update(overrides)
    return EventApiConfig(**settings)


@asynccontextmanager
async def running_server(
    config: EventApiConfig | None = None,
    invoker: LambdaInvoker | None = None,
    *,
    tls: bool = False,
    **kwargs: Any,
) -> AsyncIterator[AppSyncEventsServer]:
    with tempfile.TemporaryDirectory() as state:
        server = AppSyncEventsServer(config or api_config(), invoker, state_dir=Path(state), **kwargs)
        await server.start(tls_port=0 if tls else None)
        try:
            yield server
        finally:
            await server.stop()


def header_subprotocol(auth: Mapping[str, str]) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(dict(auth)).encode()).decode().rstrip("=")
    return "header-" + encoded


class RawClient:
    """The protocol as JSON frames over a plain `websockets` connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, frame: Mapping[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame other than keep-alives."""
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame.get("type") != "ka":
                return frame

    async def silent(self, seconds: float = 0.2) -> bool:
        """True when no frame other than ka arrives within `seconds`."""
        try:
            await self.recv(timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def subscribe(
        self, sub_id: str, channel: str, auth: Mapping[str, str] = KEY_AUTH
    ) -> dict[str, Any]:
        await self.send({"type": "subscribe", "id": sub_id, "channel": channel, "authorization": dict(auth)})
        return await self.recv()

    async def publish(
        self, op_id: str, channel: str, events: list[Any], auth: Mapping[str, str] = KEY_AUTH
    ) -> None:
        await self.send(
            {
                "type": "publish",
                "id": op_id,
                "channel": channel,
                "events": events,
                "authorization": dict(auth),
            }
        )


@asynccontextmanager
async def raw_client(
    server: AppSyncEventsServer, auth: Mapping[str, str] = KEY_AUTH, **kwargs: Any
) -> AsyncIterator[RawClient]:
    async with websockets.connect(
        server.realtime_url,
        subprotocols=["aws-appsync-event-ws", header_subprotocol(auth)],  # type: ignore[list-item]
        **kwargs,
    ) as ws:
        yield RawClient(ws)


def run_with_raw_client(
    scenario: Callable[[AppSyncEventsServer, RawClient], Awaitable[None]],
    config: EventApiConfig | None = None,
    invoker: LambdaInvoker | None = None,
    **server_options: Any,
) -> None:
    """Run `scenario` within `run`'s bound on a server of its own (started as `running_server` starts it,
    with `server_options`) and one raw client connected to it with the API key."""

    async def connected() -> None:
        async with running_server(config, invoker, **server_options) as server, raw_client(server) as client:
            await scenario(server, client)

    run(connected())


def run_with_subscriber_and_publisher(
    scenario: Callable[[AppSyncEventsServer, RawClient, RawClient], Awaitable[None]],
) -> None:
    """Run `scenario` within `run`'s bound on a server of its own and two raw clients connected to it with
    the API key: the one that subscribes, then the one that publishes."""

    async def connected() -> None:
        async with (
            running_server() as server,
            raw_client(server) as subscriber,
            raw_client(server) as publisher,
        ):
            await scenario(server, subscriber, publisher)

    run(connected())


async def slow_subscriber(
    server: AppSyncEventsServer, sub_id: str, channel: str, **options: Any
) -> ClientConnection:
    """A client that subscribes, then stops reading (a tiny receive buffer and a one-frame queue); `options`
    go to `websockets.connect`."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port or 0))
    ws = await websockets.connect(
        server.realtime_url,
        sock=sock,
        max_queue=1,
        subprotocols=["aws-appsync-event-ws", header_subprotocol(KEY_AUTH)],  # type: ignore[list-item]
        **options,
    )
    assert (await RawClient(ws).subscribe(sub_id, channel))["type"] == "subscribe_success"
    return ws


def fast_limits(**overrides: Any) -> AppSyncLimits:
    return AppSyncLimits(**overrides)


class InMemorySink:
    """A transport that is either ready or paused; `send` (the writer task's path) waits for `resumed`."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.paused = False
        self.resumed = asyncio.Event()

    def ready(self) -> bool:
        return not self.paused

    def write(self, frames: Sequence[bytes]) -> None:
        assert not self.paused, "a direct write while the transport is paused"
        self.written.extend(frames)

    async def send(self, frame: bytes) -> None:
        self.written.append(frame)
        if self.paused:
            await self.resumed.wait()

    def pause(self) -> None:
        self.paused = True
        self.resumed.clear()

    def resume(self) -> None:
        self.paused = False
        self.resumed.set()
