"""`EventsClient`: the entry point to one AppSync Events API (realtime connections and HTTP publish).

    client = EventsClient("https://<id>.appsync-api.<region>.amazonaws.com/event", None, ApiKeyAuth(key))
    async with client.connect() as conn:
        sub = await conn.subscribe("/default/*")
        await conn.publish("/default/orders", [{"id": 1}])
        async for event in sub:
            ...
    await client.publish_http("/default/orders", [{"id": 2}])

The same code runs against AWS and the local cloud; only the URLs (and a CA file for the local TLS
listener) differ.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import Any, Self

import aiohttp

from .auth import Auth
from .connection import ConnectionOptions, EventsConnection, PublishResult, ReconnectPolicy
from .endpoints import Endpoints
from .http import publish_http
from .http_exchange import KeptSession


class EventsClient(KeptSession):
    """Connections and HTTP publishing for one Event API.

    `http_url`: the HTTP endpoint (`https://host/event`, or the bare `Dns.Http` host name).
    `realtime_url`: the WebSocket endpoint, or None to derive it from `http_url` as Amplify does.
    `auth`: `ApiKeyAuth`, `TokenAuth` or `IamAuth`.
    `ssl_cafile`: a CA bundle to trust (the local cloud's self-signed certificate) for wss:// and https://.
    `keepalive_timeout`: seconds without a frame before reconnecting (default: the ack's connectionTimeoutMs).
    `operation_timeout`: seconds to wait for a reply to subscribe/publish/unsubscribe.
    """

    def __init__(
        self,
        http_url: str,
        realtime_url: str | None,
        auth: Auth,
        *,
        ssl_cafile: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        reconnect: ReconnectPolicy | None = None,
        keepalive_timeout: float | None = None,
        operation_timeout: float = 10.0,
        open_timeout: float = 10.0,
    ) -> None:
        self.endpoints = Endpoints.resolve(http_url, realtime_url)
        self.auth = auth
        if ssl_context is None and ssl_cafile is not None:
            ssl_context = ssl.create_default_context(cafile=ssl_cafile)
        self.options = ConnectionOptions(
            ssl_context, reconnect or ReconnectPolicy(), keepalive_timeout, operation_timeout, open_timeout
        )

    def connect(self) -> EventsConnection:
        """A new realtime connection, opened by `async with` (or `await conn.open()`)."""
        return EventsConnection(self.endpoints, self.auth, self.options)

    async def publish_http(self, channel: str, events: Sequence[Any]) -> PublishResult:
        """Publish 1-5 JSON-serialisable events to `channel` with `POST /event`.

        Raises `PublishError` (errorType, message, HTTP status) when the service refuses it.
        """
        if self._session is not None:
            return await self._publish(self._session, channel, events)
        async with aiohttp.ClientSession() as session:  # one-off: no client-wide session to reuse
            return await self._publish(session, channel, events)

    async def _publish(
        self, session: aiohttp.ClientSession, channel: str, events: Sequence[Any]
    ) -> PublishResult:
        return await publish_http(
            session,
            self.endpoints,
            self.auth,
            channel,
            events,
            ssl_context=self.options.ssl_context,
            timeout=self.options.operation_timeout,
        )

    async def __aenter__(self) -> Self:
        """Keep one HTTP session open for repeated `publish_http` calls until the block ends."""
        self._kept_session()
        return self
