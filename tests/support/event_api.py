"""Fixtures for the AppSync Events client tests: a real `AppSyncEventsServer` on loopback per test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from appsync_events_client import (
    ApiKeyAuth,
    Auth,
    EventsClient,
    EventsConnection,
    ReconnectPolicy,
    Subscription,
)

from tests.support.invokers import CallableInvoker
from vcn.appsync.config import (
    ApiKey,
    AuthProvider,
    AuthType,
    EventApiConfig,
    LambdaAuthorizerConfig,
    Namespace,
)
from vcn.appsync.server import AppSyncEventsServer
from vcn.aws_account import LOCAL_ACCOUNT

T = TypeVar("T")

API_KEY = "da2-client-test-key"
IAM_KEY_ID = "AKIDLOCALCLIENTTEST"
IAM_SECRET = "local-client-test-secret"
ALL_MODES: tuple[AuthType, ...] = ("API_KEY", "AWS_LAMBDA", "AWS_IAM")
FAST_RECONNECT = ReconnectPolicy(initial_delay=0.05, max_delay=0.3)


def authorizer(event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda authorizer: tokens starting with `allow` pass, with the token's owner in handlerContext."""
    token = event["authorizationToken"]
    return {"isAuthorized": token.startswith("allow"), "handlerContext": {"userId": token}, "ttlOverride": 0}


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run one async test body with an overall bound, so a hang fails the test instead of stalling the run."""

    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, timeout)

    return asyncio.run(bounded())


async def eventually(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll until `condition()` holds (behaviour, not timing: the bound only turns a hang into a failure)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class LocalEventApi:
    """Starts real servers for one test and builds clients pointed at them."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.config = EventApiConfig(
            name="client-tests",
            api_id="clienttestapi",
            account=LOCAL_ACCOUNT.account_id,
            region=LOCAL_ACCOUNT.region,
            auth_providers=(
                AuthProvider("API_KEY"),
                AuthProvider("AWS_LAMBDA", lambda_authorizer=LambdaAuthorizerConfig("Authorizer", 0)),
                AuthProvider("AWS_IAM"),
            ),
            connection_auth_modes=ALL_MODES,
            default_publish_auth_modes=ALL_MODES,
            default_subscribe_auth_modes=ALL_MODES,
            namespaces=(Namespace("ns"), Namespace("other")),
            api_keys=(ApiKey("TestKey", API_KEY, int(time.time()) + 3600),),
        )
        self.invoker = CallableInvoker({"Authorizer": authorizer})

    run = staticmethod(run)
    eventually = staticmethod(eventually)

    @asynccontextmanager
    async def server(
        self, port: int = 0, *, tls: bool = False, keepalive_seconds: float = 60.0
    ) -> AsyncIterator[AppSyncEventsServer]:
        server = AppSyncEventsServer(
            self.config,
            self.invoker,
            state_dir=self.state_dir,
            iam_credentials={IAM_KEY_ID: IAM_SECRET},
            keepalive_seconds=keepalive_seconds,
        )
        await server.start(port=port, tls_port=0 if tls else None)
        try:
            yield server
        finally:
            await server.stop()

    @staticmethod
    def client(server: AppSyncEventsServer, auth: Auth | None = None, **options: Any) -> EventsClient:
        options.setdefault("reconnect", FAST_RECONNECT)
        options.setdefault("operation_timeout", 5.0)
        return EventsClient(server.http_url, server.realtime_url, auth or ApiKeyAuth(API_KEY), **options)

    async def subscribed_then_stopped(
        self, *channels: str, **client_options: Any
    ) -> tuple[int, EventsConnection, list[Subscription]]:
        """A connection (`client_options` as for `client`) that subscribed to `channels` on a server which
        has stopped since: the port it listened on (for a server to take over), the connection, the
        subscriptions."""
        async with self.server() as server:
            assert server.port is not None
            conn = self.client(server, **client_options).connect()
            await conn.open()
            subscriptions = [await conn.subscribe(channel) for channel in channels]
        return server.port, conn, subscriptions

    def run_connected(
        self,
        scenario: Callable[[EventsConnection], Awaitable[None]],
        *,
        keepalive_seconds: float = 60.0,
        **client_options: Any,
    ) -> None:
        """Run `scenario` on one API-key connection (`client_options` as for `client`) to a server of its own
        (sending `ka` every `keepalive_seconds`), within `run`'s bound."""

        async def connected() -> None:
            async with (
                self.server(keepalive_seconds=keepalive_seconds) as server,
                self.client(server, **client_options).connect() as conn,
            ):
                await scenario(conn)

        self.run(connected())
