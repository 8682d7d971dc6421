"""One realtime connection to an AppSync Events API: handshake, operations, keep-alive watchdog, reconnect.

Protocol (AppSync Events WebSocket): offer the `aws-appsync-event-ws` and `header-<base64url(auth)>`
subprotocols, send `connection_init`, wait for `connection_ack` (its `connectionTimeoutMs` bounds the
silence between `ka` frames). Subscribe/unsubscribe/publish frames carry an `id` that the service echoes
in its `*_success` / `*_error` reply; `data` frames carry the subscription id.

When the socket drops (or no frame arrives within the keep-alive timeout) the connection reconnects with
exponential backoff and jitter, re-subscribes every live subscription under its id, and only then reports
itself connected again. Events published while it was away are lost: AppSync Events does not replay; each
subscription marks where it resumed, and `recovery` fills the gap from a history source.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from . import errors
from .auth import Auth, canonical_json, header_subprotocol
from .dedupe import DedupeKey
from .endpoints import Endpoints
from .subscription import Subscription, SubscriptionState

log = logging.getLogger(__name__)

PROTOCOL = Subprotocol("aws-appsync-event-ws")
DEFAULT_CONNECTION_TIMEOUT_MS = 300_000  # what AWS announces; used if an ack leaves it out
_REPLY_TYPES = frozenset(
    {
        "subscribe_success",
        "subscribe_error",
        "unsubscribe_success",
        "unsubscribe_error",
        "publish_success",
        "publish_error",
        "error",
    }
)


@dataclass(frozen=True)
class ReconnectPolicy:
    """Exponential backoff with jitter between reconnect attempts.

    The n-th wait (from 0) is drawn from [d/2, d] with d = min(max_delay, initial_delay * multiplier**n).
    `max_attempts=None` keeps trying until the connection is closed.
    """

    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    max_attempts: int | None = None

    def delay(self, attempt: int) -> float:
        # the exponent stops at 64, far past any cap: 2.0**1024 overflowed after long outages at short delays
        ceiling = min(self.max_delay, self.initial_delay * self.multiplier ** min(attempt, 64))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class PublishResult:
    """The service's answer to a publish: `successful` / `failed` entries with `identifier` and `index`."""

    successful: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    @classmethod
    def from_reply(cls, reply: Mapping[str, Any]) -> PublishResult:
        return cls(successful=list(reply.get("successful") or []), failed=list(reply.get("failed") or []))


@dataclass(frozen=True)
class ConnectionOptions:
    """How a client's connections are opened and kept (`EventsClient` documents each, with its default)."""

    ssl_context: ssl.SSLContext | None
    reconnect: ReconnectPolicy
    keepalive_timeout: float | None  # None: the ack's connectionTimeoutMs
    operation_timeout: float
    open_timeout: float


def normalize_channel(channel: str) -> str:
    """Channels are sent with a leading slash (the service accepts both, Amplify adds it)."""
    if not channel or channel == "/":
        raise ValueError("channel must name a namespace and a path, e.g. '/default/orders'")
    return channel if channel.startswith("/") else f"/{channel}"


def encode_events(events: Sequence[Any]) -> list[str]:
    """Each event becomes its JSON text, as the service expects (`events` is a list of JSON strings)."""
    if isinstance(events, (str, bytes, bytearray, Mapping)) or not isinstance(events, Sequence):
        raise TypeError(
            f"events must be a list of JSON-serialisable values (1 to 5), got {type(events).__name__}"
        )
    return [canonical_json(event) for event in events]


class EventsConnection:
    """A realtime connection: `async with client.connect() as conn:` (or `await conn.open()` / `close()`)."""

    def __init__(self, endpoints: Endpoints, auth: Auth, options: ConnectionOptions) -> None:
        self.endpoints = endpoints
        self._auth = auth
        self._options = options
        self._ws: ClientConnection | None = None
        self._subscriptions: dict[str, Subscription] = {}
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ready = asyncio.Event()  # set while connected (and whenever waiters must re-check closed/fatal)
        self._closed = False
        self._fatal: errors.EventsError | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._last_frame = 0.0
        self.connection_timeout = DEFAULT_CONNECTION_TIMEOUT_MS / 1000
        self.reconnects = 0  # successful reconnects since open()

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def __aenter__(self) -> EventsConnection:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect and complete the handshake; raises `ConnectError` (auth refused, handshake failed)."""
        if self._supervisor is not None or self._closed:
            raise RuntimeError("an EventsConnection opens once; call client.connect() for a new one")
        ws = await self._establish()
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise(ws))

    async def close(self) -> None:
        """Close the socket (code 1000) and end every subscription's iterator."""
        if self._closed:
            return
        self._closed = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(code=1000)
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self._end_all(None)

    @property
    def connected(self) -> bool:
        """True while the socket is up and every live subscription is (re-)subscribed."""
        return self._ready.is_set() and self._ws is not None and not self._closed and self._fatal is None

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._subscriptions.values())

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until connected (e.g. after a reconnect); raises if the connection ended for good."""
        await self._socket(timeout)

    # -- operations ----------------------------------------------------------------------------------------
    async def subscribe(self, channel: str, *, dedupe_by: DedupeKey | None = None) -> Subscription:
        """Subscribe to `channel` (may end in `/*`); returns once the service confirmed it.

        `dedupe_by`: a field name (e.g. `"eventId"`) or a function giving each event's key; an event whose
        key this subscription has already handed over is dropped (and counted in `duplicates`).

        Raises `SubscribeError` with the service's errorType (e.g. `UnauthorizedException`), `ConnectionLost`
        if the socket dropped before the answer, `OperationTimeout` if the service did not answer.
        """
        subscription = Subscription(
            str(uuid.uuid4()), normalize_channel(channel), self._unsubscribe, dedupe_by
        )
        ws = await self._socket()
        self._subscriptions[subscription.id] = subscription  # before sending: data may follow the ack at once
        try:
            reply = await self._request(ws, self._subscribe_message(subscription), subscription.id)
        except BaseException:
            self._subscriptions.pop(subscription.id, None)
            subscription._finish()
            raise
        if reply.get("type") != "subscribe_success":
            self._subscriptions.pop(subscription.id, None)
            error = errors.SubscribeError.from_errors(reply.get("errors"), fallback="SubscribeError")
            subscription._finish(error)
            raise error
        subscription.state = SubscriptionState.ACTIVE
        return subscription

    async def publish(self, channel: str, events: Sequence[Any]) -> PublishResult:
        """Publish 1-5 JSON-serialisable events to `channel` over the socket.

        Raises `PublishError` carrying the service's errorType (e.g. `InvalidInputError`); `ConnectionLost`
        or `OperationTimeout` leave it unknown whether the events went out (retrying may duplicate them).
        While a reconnect is under way the call waits for it (up to the operation timeout).
        """
        channel = normalize_channel(channel)
        payloads = encode_events(events)
        operation_id = str(uuid.uuid4())
        body = canonical_json({"channel": channel, "events": payloads})
        message = {
            "type": "publish",
            "id": operation_id,
            "channel": channel,
            "events": payloads,
            "authorization": self._auth.headers(self.endpoints.http_url, self.endpoints.host, body),
        }
        reply = await self._request(await self._socket(), message, operation_id)
        if reply.get("type") != "publish_success":
            raise errors.PublishError.from_errors(reply.get("errors"), fallback="PublishError")
        return PublishResult.from_reply(reply)

    async def _unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.pop(subscription.id, None)
        ws = self._ws
        try:
            if ws is None or not self.connected or subscription.state is not SubscriptionState.ACTIVE:
                return  # the service forgets a connection's subscriptions with the connection
            reply = await self._request(ws, {"type": "unsubscribe", "id": subscription.id}, subscription.id)
        finally:
            subscription._finish()
        if reply.get("type") != "unsubscribe_success":
            raise errors.UnsubscribeError.from_errors(reply.get("errors"), fallback="UnsubscribeError")

    def _subscribe_message(self, subscription: Subscription) -> dict[str, Any]:
        body = canonical_json({"channel": subscription.channel})
        return {
            "type": "subscribe",
            "id": subscription.id,
            "channel": subscription.channel,
            "authorization": self._auth.headers(self.endpoints.http_url, self.endpoints.host, body),
        }

    async def _socket(self, timeout: float | None = None) -> ClientConnection:
        """The live socket, waiting (up to the operation timeout) while a reconnect is under way."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._options.operation_timeout if timeout is None else timeout)
        while True:
            if self._closed:
                raise errors.ConnectionLost(
                    "ConnectionClosed", "the connection is closed; open one with client.connect()"
                )
            if self._fatal is not None:
                raise self._fatal
            if self._supervisor is None:
                raise errors.ConnectionLost(
                    "NotConnected", "open the connection first (async with client.connect())"
                )
            if self._ready.is_set() and self._ws is not None:
                return self._ws
            try:
                await asyncio.wait_for(self._ready.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise errors.ConnectionLost(
                    "NotConnected", "not connected: the connection is reconnecting"
                ) from None

    async def _request(
        self, ws: ClientConnection, message: dict[str, Any], operation_id: str
    ) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[operation_id] = future
        try:
            await ws.send(canonical_json(message))
            return await asyncio.wait_for(future, self._options.operation_timeout)
        except ConnectionClosed:
            raise errors.ConnectionLost(
                "ConnectionLost", f"the connection closed while sending {message['type']}"
            ) from None
        except TimeoutError:
            raise errors.OperationTimeout(
                "OperationTimeout",
                f"no answer to {message['type']} {operation_id} within {self._options.operation_timeout:g} s",
            ) from None
        finally:
            self._pending.pop(operation_id, None)

    # -- connection management -----------------------------------------------------------------------------
    async def _establish(self) -> ClientConnection:
        """Open the socket and complete connection_init/connection_ack."""
        url = self.endpoints.realtime_url
        auth = self._auth.headers(self.endpoints.http_url, self.endpoints.host, "{}")
        try:
            ws = await connect(
                url,
                subprotocols=[PROTOCOL, Subprotocol(header_subprotocol(auth))],
                ssl=self._options.ssl_context if url.startswith("wss:") else None,
                open_timeout=self._options.open_timeout,
                ping_interval=None,  # liveness comes from the service's `ka` frames
                close_timeout=2,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise errors.ConnectError(
                "UnauthorizedException" if status in (401, 403) else "HandshakeRejected",
                f"{url} refused the WebSocket upgrade with HTTP {status}",
                status=status,
            ) from exc
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise errors.ConnectError("ConnectionFailed", f"could not connect to {url}: {exc}") from exc
        try:
            ack = await asyncio.wait_for(self._handshake(ws), self._options.open_timeout)
        except TimeoutError:
            ws.transport.abort()
            raise errors.ConnectError(
                "ConnectionTimeout", f"no connection_ack from {url} within {self._options.open_timeout:g} s"
            ) from None
        except BaseException:
            ws.transport.abort()
            raise
        timeout_ms = ack.get("connectionTimeoutMs", DEFAULT_CONNECTION_TIMEOUT_MS)
        keepalive = self._options.keepalive_timeout
        self.connection_timeout = keepalive if keepalive is not None else float(timeout_ms) / 1000
        return ws

    @staticmethod
    async def _handshake(ws: ClientConnection) -> dict[str, Any]:
        # A refusing service may already have sent connection_error and closed: read it before giving up.
        with contextlib.suppress(ConnectionClosed):
            await ws.send(canonical_json({"type": "connection_init"}))
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    raise errors.ConnectError(
                        "ConnectionError", f"the handshake answer is not JSON: {raw!r:.200}"
                    ) from None
                kind = message.get("type") if isinstance(message, dict) else None
                if kind == "connection_ack":
                    return dict(message)
                if kind == "connection_error":
                    raise errors.ConnectError.from_errors(message.get("errors"), fallback="ConnectionError")
        except ConnectionClosed:
            pass
        raise errors.ConnectError(
            "ConnectionClosed",
            f"closed before connection_ack (code {ws.close_code}, {ws.close_reason!r})",
        )

    async def _supervise(self, ws: ClientConnection | None) -> None:
        try:
            while ws is not None:
                await self._run_session(ws)
                if self._closed:
                    return
                ws = await self._reconnect()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not leave subscribers waiting forever
            log.exception("AppSync Events connection supervisor failed")
            self._end_all(errors.ConnectionLost("ConnectionLost", f"connection supervisor failed: {exc}"))

    async def _run_session(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        self._ws = ws
        self._last_frame = loop.time()
        reader = loop.create_task(self._read(ws))
        watchdog = loop.create_task(self._watch(ws))
        try:
            if self.reconnects and not await self._resubscribe(ws):
                ws.transport.abort()  # the service did not answer: try a fresh connection
            else:
                self._ready.set()
            await reader
        finally:
            self._ready.clear()
            self._ws = None
            watchdog.cancel()
            reader.cancel()
            ws.transport.abort()

    async def _read(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for raw in ws:
                self._last_frame = loop.time()  # any frame proves the link is alive, not only `ka`
                try:
                    message = json.loads(raw)
                except ValueError:
                    log.warning("ignoring a frame that is not JSON: %.200r", raw)
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
        except ConnectionClosed:
            pass
        finally:
            if not self._closed:
                log.info("AppSync Events connection lost (code %s, %r)", ws.close_code, ws.close_reason)
            self._fail_pending(
                errors.ConnectionLost("ConnectionLost", "the connection closed before the service answered")
            )

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ka":
            return
        if kind == "data":
            subscription = self._subscriptions.get(str(message.get("id")))
            if subscription is not None:
                subscription._deliver(message.get("event"))
            return
        if kind in _REPLY_TYPES:
            if kind == "subscribe_success":
                subscription = self._subscriptions.get(str(message.get("id")))
                if subscription is not None and subscription.state is SubscriptionState.ACTIVE:
                    # a re-subscription: mark the stream here, ahead of the new session's data frames
                    subscription._resubscribed()
            future = self._pending.pop(str(message.get("id")), None)
            if future is not None and not future.done():
                future.set_result(message)
            elif kind == "error":
                log.warning("AppSync Events error: %s", message.get("errors"))
            return
        if kind == "broadcast_error":
            log.warning("AppSync Events could not deliver to subscription %s: %s", message.get("id"), message)
            return
        log.debug("ignoring AppSync Events frame of type %r", kind)

    async def _watch(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        while True:
            remaining = self._last_frame + self.connection_timeout - loop.time()
            if remaining <= 0:
                log.warning("no keep-alive within %.3g s: reconnecting", self.connection_timeout)
                ws.transport.abort()
                return
            await asyncio.sleep(remaining)

    async def _resubscribe(self, ws: ClientConnection) -> bool:
        """Re-subscribe live subscriptions (a denied one ends with the error); False if one got no answer."""
        live = [s for s in self._subscriptions.values() if s.state is SubscriptionState.ACTIVE]
        replies = await asyncio.gather(
            *(self._request(ws, self._subscribe_message(s), s.id) for s in live), return_exceptions=True
        )
        answered = True
        for subscription, reply in zip(live, replies, strict=True):
            if isinstance(reply, dict):
                if reply.get("type") != "subscribe_success":
                    self._subscriptions.pop(subscription.id, None)
                    subscription._finish(
                        errors.SubscribeError.from_errors(reply.get("errors"), fallback="SubscribeError")
                    )
            elif isinstance(reply, BaseException):
                log.warning("re-subscribing %s failed: %s", subscription.channel, reply)
                answered = False
        return answered

    async def _reconnect(self) -> ClientConnection | None:
        policy = self._options.reconnect
        attempt = 0
        last_error: errors.EventsError | None = None
        while not self._closed:
            if policy.max_attempts is not None and attempt >= policy.max_attempts:
                self._end_all(
                    errors.ConnectionLost(
                        "ReconnectFailed", f"gave up after {attempt} reconnect attempts: {last_error}"
                    )
                )
                return None
            await asyncio.sleep(policy.delay(attempt))
            attempt += 1
            try:
                ws = await self._establish()
            except errors.EventsError as exc:
                if exc.is_unauthorized:  # the same credentials will be refused again
                    self._end_all(exc)
                    return None
                last_error = exc
                log.info("reconnect attempt %d failed: %s", attempt, exc)
                continue
            if self._closed:
                ws.transport.abort()
                return None
            self.reconnects += 1
            log.info("AppSync Events connection re-established (attempt %d)", attempt)
            return ws
        return None

    def _fail_pending(self, error: errors.EventsError) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)

    def _end_all(self, error: errors.EventsError | None) -> None:
        """The connection is over: end every subscription (with `error` if it failed) and wake waiters."""
        if error is not None and self._fatal is None and not self._closed:
            self._fatal = error
        subscriptions, self._subscriptions = self._subscriptions, {}
        for subscription in subscriptions.values():
            subscription._finish(error)
        self._fail_pending(error or errors.ConnectionLost("ConnectionClosed", "the connection was closed"))
        self._ready.set()
