"""The AppSync Events server: `POST /event` and the WebSocket `GET /event/realtime` on one port (aiohttp),
plus an optional TLS listener on a second port with a locally generated certificate, the local cloud's own
counters at `GET /_vcn/metrics`, and the API-key part of AppSync's control plane (`/v1/apis/<id>/apikeys`,
`key_control_plane`).

This module owns transports only: request bodies and their limits, upgrade and connection auth, frame
dispatch, per-connection state (subscription ids, publish rate), keep-alive and lifetime, and dropping slow
subscribers; the operations themselves live in `vcn.appsync.api`. Both listeners keep the deadlines of
`vcn.connection_deadlines` for requests; an upgraded WebSocket keeps only its own keep-alive and lifetime.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import struct
from collections.abc import Awaitable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import WSMsgType, web
from aiohttp.base_protocol import BaseProtocol

from vcn import json_limits
from vcn.appsync import protocol as wire
from vcn.appsync.api import EventApi
from vcn.appsync.api_keys import ApiKeyStore
from vcn.appsync.authorization import Authorizer, normalize_headers
from vcn.appsync.channels import validate_subscription_id
from vcn.appsync.config import EventApiConfig
from vcn.appsync.fanout import OutboundBudget, Outbox
from vcn.appsync.key_control_plane import add_key_routes
from vcn.appsync.metrics import OUTBOUND_MESSAGES, ApiActivity
from vcn.appsync.protocol import AppSyncError, AppSyncLimits
from vcn.appsync.subscriptions import Subscription
from vcn.appsync.tls import TlsFiles, ensure_tls_files
from vcn.connection_deadlines import (
    BodyStalled,
    BodyTooLarge,
    ConnectionTimeouts,
    ListenerDeadlines,
    track_requests,
)
from vcn.invoker import LambdaInvoker
from vcn.rate_limit import TokenBucket

logger = logging.getLogger("vcn.appsync")
T = TypeVar("T")

_KEEP_ALIVE = wire.KEEP_ALIVE.encode()
METRICS_PATH = "/_vcn/metrics"
# RFC 6455 close codes: 1003 "cannot accept this data type", 1008 "policy violation".
_CLOSE_UNSUPPORTED_DATA = 1003
_CLOSE_POLICY = 1008
_BINARY_REFUSED = "binary frames are not supported; send JSON messages as text frames"
# How long a dropped slow subscriber gets to read its close frame before the TCP connection is reset.
_DROP_GRACE_SECONDS = 5.0
_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Max-Age": "600",
}


class AppSyncEventsServer:
    def __init__(
        self,
        config: EventApiConfig,
        invoker: LambdaInvoker | None,
        *,
        state_dir: Path,
        iam_credentials: Mapping[str, str] | None = None,
        keepalive_seconds: float = 60.0,
        limits: AppSyncLimits | None = None,
        timeouts: ConnectionTimeouts | None = None,
    ) -> None:
        if keepalive_seconds <= 0:
            raise ValueError(f"keepalive_seconds must be positive (got {keepalive_seconds}); AWS uses 60")
        self.config = config
        self.api_keys = ApiKeyStore.in_state_dir(Path(state_dir), config.api_id)
        for key in config.api_keys:
            self.api_keys.declare(key)
        authorizer = Authorizer(config, invoker, iam_credentials=iam_credentials, api_keys=self.api_keys)
        self.api = EventApi(config, invoker, authorizer, limits=limits)
        self.limits = self.api.limits
        self.keepalive_seconds = keepalive_seconds
        self.deadlines = ListenerDeadlines(timeouts)
        self.outbound = OutboundBudget(self.limits.outbound_total_bytes)
        self._state_dir = Path(state_dir)
        self._connections: set[RealtimeConnection] = set()
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._tls_port: int | None = None
        self._tls: TlsFiles | None = None
        self._connection_seq = 0

    # ---- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0, tls_port: int | None = None) -> None:
        app = web.Application(middlewares=[track_requests, _cors])
        app.router.add_post("/event", self._http_publish)
        app.router.add_route("OPTIONS", "/event", _preflight)
        app.router.add_get("/event/realtime", self._realtime)
        app.router.add_get(METRICS_PATH, self._metrics)
        add_key_routes(app, self.api_keys)  # the control plane's API keys, for boto3's `appsync` client
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        self._host = host
        self._port = await self.deadlines.serve(self._runner, host, port)
        if tls_port is not None:
            self._tls = ensure_tls_files(self._state_dir)
            self._tls_port = await self.deadlines.serve(
                self._runner, host, tls_port, ssl_context=self._tls.server_context()
            )
        logger.info("AppSync Events API %s listening on %s", self.config.name, self.http_url)

    async def stop(self) -> None:
        connections = list(self._connections)
        await asyncio.gather(
            *(c.close(1001, "server shutting down") for c in connections), return_exceptions=True
        )
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- addresses

    def _authority(self, port: int | None) -> str:
        if port is None:
            raise RuntimeError("the server is not started; await server.start() first")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{port}"

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def tls_port(self) -> int | None:
        return self._tls_port

    @property
    def http_url(self) -> str:
        return f"http://{self._authority(self._port)}/event"

    @property
    def realtime_url(self) -> str:
        return f"ws://{self._authority(self._port)}/event/realtime"

    @property
    def https_url(self) -> str | None:
        return f"https://{self._authority(self._tls_port)}/event" if self._tls_port is not None else None

    @property
    def wss_url(self) -> str | None:
        return (
            f"wss://{self._authority(self._tls_port)}/event/realtime" if self._tls_port is not None else None
        )

    @property
    def tls_cert_path(self) -> Path | None:
        """The CA certificate a client must trust to reach the TLS listener."""
        return self._tls.ca_cert if self._tls is not None else None

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def forget(self, connection: RealtimeConnection) -> None:
        self._connections.discard(connection)

    def activity(self) -> ApiActivity:
        """The API's AWS/AppSync metrics now (cumulative counts, and the connections open)."""
        counts = self.api.counts.totals()
        counts[OUTBOUND_MESSAGES] = self.api.fanout.delivered
        return ApiActivity(self.config.api_id, counts, len(self._connections))

    # ---- HTTP publish

    async def _http_publish(self, request: web.Request) -> web.Response:
        try:
            body = await self._read_body(request)
            try:
                document = json_limits.loads(body)
            except json_limits.JsonRefused as exc:
                raise wire.bad_request(
                    f'Request body must be JSON: {{"channel": "/ns/a", "events": ["<json>"]}} ({exc})'
                ) from None
            if not isinstance(document, dict):
                raise wire.bad_request('Request body must be a JSON object: {"channel": .., "events": [..]}')
            result = await self.api.publish(
                document.get("channel"),
                document.get("events"),
                normalize_headers(request.headers),
                websocket=False,
                source_ip=request.remote or "127.0.0.1",
                signed_bodies=lambda: [body],
            )
        except AppSyncError as error:
            return _error_response(error)
        except Exception:
            logger.exception("HTTP publish failed")
            return _error_response(wire.internal_failure())
        return web.Response(
            text=wire.dumps({"successful": result.successful, "failed": result.failed}),
            content_type="application/json",
        )

    async def _read_body(self, request: web.Request) -> bytes:
        try:
            return await self.deadlines.read_body(request, self.limits.max_request_bytes)
        except BodyTooLarge:
            raise wire.payload_too_large(self.limits.max_request_bytes) from None
        except BodyStalled as stalled:
            raise wire.body_timeout(stalled.seconds) from None

    # ---- the local cloud's counters

    def metrics(self) -> dict[str, Any]:
        """Counters of this API since start: connections, deliveries, slow subscribers, deadlines."""
        return {
            "ApiName": self.config.name,
            "ActiveConnections": len(self._connections),
            "Subscriptions": len(self.api.index),
            "OutboundMessages": self.api.fanout.delivered,
            **self.outbound.snapshot(),
            **self.deadlines.counters.snapshot(),
        }

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.json_response(self.metrics())

    # ---- WebSocket

    async def _realtime(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(
            protocols=(wire.SUBPROTOCOL,),
            compress=False,
            autoping=True,
            max_msg_size=self.limits.max_request_bytes * 2,
        )
        transport = request.transport
        await ws.prepare(request)
        source_ip = request.remote or "127.0.0.1"
        try:
            headers = _connect_headers(request)
            await self.api.connect(headers, source_ip)
        except AppSyncError as error:
            await ws.send_str(wire.connection_error(error))
            await ws.close(code=1000)
            return ws
        except Exception:
            logger.exception("connect from %s failed", source_ip)
            await ws.send_str(wire.connection_error(wire.internal_failure()))
            await ws.close(code=1000)
            return ws
        self._connection_seq += 1
        connection = RealtimeConnection(
            self, ws, transport, request.protocol, f"conn-{self._connection_seq}", source_ip
        )
        self._connections.add(connection)
        try:
            await connection.run()
        finally:
            self._connections.discard(connection)
            await connection.release()
        return ws


class WebSocketFrameSink:
    """Writes text frames of one aiohttp WebSocket: straight onto the transport when it has room, else through
    aiohttp's writer, which waits for the transport to drain.

    The direct write builds the same unmasked, uncompressed frame aiohttp would (`compress=False` on every
    connection), in one `transport.write`, so it never interleaves with aiohttp's own control frames.
    """

    __slots__ = ("_protocol", "_transport", "_ws")

    def __init__(
        self, ws: web.WebSocketResponse, transport: asyncio.Transport | None, protocol: BaseProtocol
    ) -> None:
        self._ws = ws
        self._transport = transport
        self._protocol = protocol

    def ready(self) -> bool:
        transport = self._transport
        return not (
            transport is None or self._protocol.writing_paused or transport.is_closing() or self._ws.closed
        )

    def write(self, frames: Sequence[bytes]) -> None:
        assert self._transport is not None  # ready() said so
        if len(frames) == 1:
            frame = frames[0]
            self._transport.write(_text_frame_header(len(frame)) + frame)
        else:
            self._transport.write(b"".join(_text_frame_header(len(f)) + f for f in frames))

    async def send(self, frame: bytes) -> None:
        await self._ws.send_frame(frame, WSMsgType.TEXT)


_SHORT_HEADERS = tuple(bytes((0x81, length)) for length in range(126))
_MEDIUM_HEADER = struct.Struct("!BBH")
_LONG_HEADER = struct.Struct("!BBQ")


def _text_frame_header(length: int) -> bytes:
    """RFC 6455 header of a final, unmasked text frame carrying `length` payload bytes."""
    if length < 126:
        return _SHORT_HEADERS[length]
    if length < 65536:
        return _MEDIUM_HEADER.pack(0x81, 126, length)
    return _LONG_HEADER.pack(0x81, 127, length)


def _close_frame(code: int, reason: str) -> bytes:
    """RFC 6455 close frame (unmasked) with a status code and a reason of at most 123 bytes."""
    payload = struct.pack("!H", code) + reason.encode()[:123]
    return bytes((0x88, len(payload))) + payload


class RealtimeConnection:
    """One WebSocket client: its subscriptions, outbox, publish rate and timers."""

    def __init__(
        self,
        server: AppSyncEventsServer,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport | None,
        server_protocol: BaseProtocol,
        name: str,
        source_ip: str,
    ) -> None:
        self.server = server
        self.api = server.api
        self.ws = ws
        self.name = name
        self.source_ip = source_ip
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self.subscriptions: dict[str, Subscription] = {}
        self._pending: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._publish_lock = asyncio.Lock()
        rate = server.limits.publishes_per_second
        self._publish_rate = TokenBucket(rate, capacity=rate)  # a burst of one second's worth of publishes
        self.outbox = Outbox(
            name,
            WebSocketFrameSink(ws, transport, server_protocol),
            limit_bytes=server.limits.outbound_queue_bytes,
            on_overflow=self._overflow,
            budget=server.outbound,
        )
        self._keepalive: asyncio.TimerHandle | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._closing = False

    async def run(self) -> None:
        self.outbox.start()
        self._arm_keepalive()
        self._expiry = self._loop.call_later(
            self.server.limits.max_connection_seconds,
            lambda: self._spawn(self.close(1000, "connection reached its maximum lifetime")),
        )
        async for message in self.ws:
            if message.type == WSMsgType.TEXT:
                try:
                    self._dispatch(message.data)
                except Exception:  # a bug handling one frame must not end the connection
                    logger.exception("%s: failed to handle a frame", self.name)
                    self._send(wire.error_frame(None, wire.internal_failure()))
            elif message.type == WSMsgType.BINARY:
                # UNCONFIRMED: what AppSync does with a binary frame. Its protocol is JSON text frames, and
                # RFC 6455 names 1003 for "a type of data it cannot accept".
                logger.info("%s: binary frame from %s; closing with 1003", self.name, self.source_ip)
                await self.close(_CLOSE_UNSUPPORTED_DATA, _BINARY_REFUSED)
                break
            elif message.type == WSMsgType.ERROR:
                logger.info("%s: connection error %s", self.name, self.ws.exception())
                break

    def _arm_keepalive(self) -> None:
        self._keepalive = self._loop.call_later(self.server.keepalive_seconds, self._send_keepalive)

    def _send_keepalive(self) -> None:
        if self.outbox.put(_KEEP_ALIVE):
            self._arm_keepalive()

    def _send(self, frame: str) -> None:
        self.outbox.put_text(frame)

    def _spawn(self, coroutine: Any) -> None:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dispatch(self, text: str) -> None:
        try:
            message = json_limits.loads(text)
        except json_limits.JsonRefused as exc:
            self._send(wire.error_frame(None, wire.bad_request(f"Message is not valid JSON: {exc}")))
            return
        if not isinstance(message, dict):
            self._send(wire.error_frame(None, wire.bad_request("Message must be a JSON object with a type")))
            return
        kind = message.get("type")
        op_id = message.get("id") if isinstance(message.get("id"), str) else None
        if kind == "connection_init":
            self._send(wire.CONNECTION_ACK)
        elif kind == "subscribe":
            self._spawn(self._subscribe(message, op_id))
        elif kind == "unsubscribe":
            self._unsubscribe(op_id)
        elif kind == "publish":
            if len(text.encode()) > self.server.limits.max_request_bytes:
                error = wire.invalid_input(
                    f"publish exceeded {self.server.limits.max_request_bytes} bytes;"
                    " send fewer or smaller events",
                    websocket=True,
                )
                self._send(wire.error_frame(op_id, error, frame_type="publish_error"))
            elif not self._publish_rate.try_acquire():
                self._send(
                    wire.error_frame(
                        op_id,
                        wire.rate_exceeded(self.server.limits.publishes_per_second),
                        frame_type="publish_error",
                    )
                )
            else:
                self._spawn(self._publish(message, op_id))
        elif kind == "ka":
            return
        else:
            error = AppSyncError(
                "UnsupportedOperation",
                f"Unknown message type {kind!r}; use subscribe, unsubscribe or publish",
            )
            self._send(wire.error_frame(op_id, error))

    async def _subscribe(self, message: dict[str, Any], op_id: str | None) -> None:
        try:
            sub_id = validate_subscription_id(message.get("id"))
            if sub_id in self.subscriptions or sub_id in self._pending:
                raise wire.duplicate_subscription(sub_id)
            limit = self.server.limits.max_subscriptions_per_connection
            if len(self.subscriptions) + len(self._pending) >= limit:
                raise wire.max_subscriptions(limit)
        except AppSyncError as error:
            self._send(wire.error_frame(op_id, error, frame_type="subscribe_error"))
            return
        self._pending.add(sub_id)
        try:
            channel = await self._answered(
                sub_id,
                "subscribe",
                self.api.admit_subscription(message.get("channel"), _auth_object(message), self.source_ip),
            )
        finally:
            self._pending.discard(sub_id)
        if channel is None or self._closing:
            return
        subscription = Subscription(sub_id, channel, self.outbox)
        self.subscriptions[sub_id] = subscription
        self.api.index.add(subscription)
        self._send(wire.subscribe_success(sub_id))

    def _unsubscribe(self, op_id: str | None) -> None:
        subscription = self.subscriptions.pop(op_id, None) if op_id is not None else None
        if subscription is None:
            error = wire.unknown_operation(op_id or "")
            self._send(wire.error_frame(op_id, error, frame_type="unsubscribe_error"))
            return
        self.api.index.remove(subscription)
        self._send(wire.unsubscribe_success(subscription.id))

    async def _publish(self, message: dict[str, Any], op_id: str | None) -> None:
        # Publishes of one connection are processed in order, so its events are delivered in order.
        async with self._publish_lock:
            if op_id is None:
                error = wire.bad_request("publish needs an id to correlate its publish_success")
                self._send(wire.error_frame(op_id, error, frame_type="publish_error"))
                return
            result = await self._answered(
                op_id,
                "publish",
                self.api.publish(
                    message.get("channel"),
                    message.get("events"),
                    _auth_object(message),
                    websocket=True,
                    source_ip=self.source_ip,
                ),
            )
            if result is not None:
                self._send(wire.publish_success(op_id, result.successful, result.failed))

    async def _answered(self, op_id: str, operation: str, work: Awaitable[T]) -> T | None:
        """What `work` returns; or None once its failure was answered with an `<operation>_error` frame (an
        unexpected one as an internal failure, logged)."""
        try:
            return await work
        except AppSyncError as error:
            self._send(wire.error_frame(op_id, error, frame_type=f"{operation}_error"))
        except Exception:
            logger.exception("%s: %s %s failed", self.name, operation, op_id)
            self._send(wire.error_frame(op_id, wire.internal_failure(), frame_type=f"{operation}_error"))
        return None

    def _overflow(self, reason: str) -> None:
        logger.warning("disconnecting slow subscriber %s (%s): %s", self.name, self.source_ip, reason)
        self._closing = True
        self._drop_subscriptions()
        self.server.forget(self)  # no longer served, though its socket may take the grace period to go
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        # The close frame goes behind what the socket already holds (at most its buffer, not the discarded
        # queue): a client that reads again learns why; one that never does is reset after a grace period.
        transport.write(_close_frame(_CLOSE_POLICY, "slow subscriber dropped: it did not read its events"))
        transport.close()
        self._loop.call_later(_DROP_GRACE_SECONDS, transport.abort)

    def _drop_subscriptions(self) -> None:
        for subscription in self.subscriptions.values():
            self.api.index.remove(subscription)
        self.subscriptions.clear()

    async def close(self, code: int, reason: str) -> None:
        """Close cleanly: flush what is queued (briefly), then send a close frame."""
        if self._closing:
            return
        self._closing = True
        logger.info("closing %s: %s", self.name, reason)
        self._drop_subscriptions()
        await self.outbox.drain(timeout=1.0)
        try:
            await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()[:120]), timeout=2.0)
        except (TimeoutError, ConnectionError, RuntimeError):
            if self._transport is not None:
                self._transport.abort()

    async def release(self) -> None:
        """Forget every trace of the connection once its socket is gone."""
        self._closing = True
        for handle in (self._keepalive, self._expiry):
            if handle is not None:
                handle.cancel()
        self._drop_subscriptions()
        for task in list(self._tasks):
            task.cancel()
        await self.outbox.close()


def _error_response(error: AppSyncError) -> web.Response:
    return web.Response(status=error.status, text=wire.http_errors(error), content_type="application/json")


def _auth_object(message: Mapping[str, Any]) -> dict[str, str]:
    authorization = message.get("authorization")
    return normalize_headers(authorization) if isinstance(authorization, dict) else {}


def _connect_headers(request: web.Request) -> dict[str, str]:
    """Connection auth: plain upgrade headers, overridden by the `header-<base64url(json)>` subprotocol."""
    headers = normalize_headers(request.headers)
    for offered in request.headers.getall("Sec-WebSocket-Protocol", []):
        for protocol in (p.strip() for p in offered.split(",")):
            if not protocol.startswith(wire.HEADER_SUBPROTOCOL_PREFIX):
                continue
            encoded = protocol[len(wire.HEADER_SUBPROTOCOL_PREFIX) :]
            try:
                decoded = json_limits.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            except (binascii.Error, ValueError):
                raise wire.unauthorized() from None
            if not isinstance(decoded, dict):
                raise wire.unauthorized()
            headers.update(normalize_headers(decoded))
    return headers


@web.middleware
async def _cors(request: web.Request, handler: Any) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    if not response.prepared:
        for name, value in _CORS_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


async def _preflight(request: web.Request) -> web.Response:
    # A wildcard does not cover `Authorization` in browsers, so echo the headers the page asked for.
    requested = request.headers.get("Access-Control-Request-Headers")
    headers = {"Access-Control-Allow-Headers": requested} if requested else {}
    return web.Response(status=204, headers=headers)
