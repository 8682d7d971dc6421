"""Deadlines for the HTTP listeners of the local cloud (aiohttp): no socket is held open by a silent client.

aiohttp alone closes an idle keep-alive connection only after an hour and waits forever for headers or a
body that never complete, so every half-open TCP connection would be kept. Here:

- request headers must be complete within `headers_seconds` of the connection opening, or of the first
  byte of the next request on a kept-alive connection; a client that sent part of them gets a 408;
- a kept-alive connection with no request closes after `idle_seconds`;
- a request body may pause at most `body_gap_seconds` between bytes (`read_body`);
- while a request is being handled there is no deadline, so an upgraded WebSocket, which stays "in its
  request" for its whole life, keeps only its own keep-alive and lifetime rules.

A `DeadlineSite` wraps each connection's aiohttp protocol in a `GuardedConnection` that runs the timers; the
`track_requests` middleware tells it when a request starts and ends (when the headers have been parsed and
when the handler is done). A server holds one `ListenerDeadlines`: its timeouts and counters, the sockets it
serves on and the request bodies it reads.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from ssl import SSLContext

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger("vcn.connections")


@dataclass(frozen=True)
class ConnectionTimeouts:
    """How long a listener waits for a client; tests shrink them."""

    headers_seconds: float = 10.0
    idle_seconds: float = 60.0
    body_gap_seconds: float = 10.0

    def __post_init__(self) -> None:
        for name in ("headers_seconds", "idle_seconds", "body_gap_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds (got {getattr(self, name)})")


@dataclass
class ConnectionCounters:
    """What the deadlines did, per listener (for metrics)."""

    header_timeouts: int = 0  # part of a request's headers arrived, the rest did not (answered 408)
    idle_closed: int = 0  # no request arrived on an open connection
    body_timeouts: int = 0  # a request body stopped arriving (answered 408 by the server)

    def snapshot(self) -> dict[str, int]:
        return {
            "RequestHeaderTimeouts": self.header_timeouts,
            "IdleConnectionsClosed": self.idle_closed,
            "RequestBodyTimeouts": self.body_timeouts,
        }


_WAITING, _READING_HEADERS, _BUSY = range(3)


def _timeout_response(seconds: float) -> bytes:
    text = f"Request headers were not complete within {seconds:g} s; send the whole request at once.\n"
    body = text.encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedConnection(asyncio.Protocol):
    """An aiohttp connection protocol plus the header and idle deadlines; everything else is passed on."""

    __slots__ = ("_counters", "_got_bytes", "_inner", "_loop", "_state", "_timeouts", "_timer", "_transport")

    def __init__(
        self, inner: asyncio.Protocol, timeouts: ConnectionTimeouts, counters: ConnectionCounters
    ) -> None:
        self._inner = inner
        self._timeouts = timeouts
        self._counters = counters
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._state = _READING_HEADERS  # a new connection owes its first request's headers at once
        self._got_bytes = False

    # ---- asyncio.Protocol, passed on to aiohttp

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._inner.connection_made(transport)
        self._arm(self._timeouts.headers_seconds)

    def data_received(self, data: bytes) -> None:
        if self._state == _WAITING:  # the first byte of the next request on a kept-alive connection
            self._state = _READING_HEADERS
            self._arm(self._timeouts.headers_seconds)
        self._got_bytes = True
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    # ---- request boundaries (from `track_requests`)

    def request_started(self) -> None:
        self._state = _BUSY
        self._cancel()

    def request_finished(self) -> None:
        self._state = _WAITING
        self._got_bytes = False
        self._arm(self._timeouts.idle_seconds)

    # ---- timers

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, seconds: float) -> None:
        self._cancel()
        self._timer = self._loop.call_later(seconds, self._expire)

    def _expire(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is None or transport.is_closing() or self._state == _BUSY:
            return
        peer = transport.get_extra_info("peername")
        if self._state == _READING_HEADERS and self._got_bytes:
            self._counters.header_timeouts += 1
            seconds = self._timeouts.headers_seconds
            log.info("closing connection from %s: request headers incomplete after %g s", peer, seconds)
            transport.write(_timeout_response(seconds))
        else:
            self._counters.idle_closed += 1
            log.debug("closing idle connection from %s", peer)
        transport.close()


class DeadlineSite(web.BaseSite):
    """`web.SockSite` whose connections keep the deadlines (add `track_requests` to the application)."""

    __slots__ = ("_counters", "_name", "_sock", "_timeouts")

    def __init__(
        self,
        runner: web.BaseRunner,
        sock: socket.socket,
        timeouts: ConnectionTimeouts,
        counters: ConnectionCounters,
        *,
        ssl_context: SSLContext | None = None,
        backlog: int = 1024,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._sock = sock
        self._timeouts = timeouts
        self._counters = counters
        host, port = sock.getsockname()[:2]
        self._name = f"{'https' if ssl_context else 'http'}://{host}:{port}"

    @property
    def name(self) -> str:
        return self._name

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None  # BaseSite checked that the runner is set up
        timeouts, counters = self._timeouts, self._counters

        def connection() -> GuardedConnection:
            return GuardedConnection(server(), timeouts, counters)

        self._server = await asyncio.get_running_loop().create_server(
            connection, sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )


def _guard_of(request: web.BaseRequest) -> GuardedConnection | None:
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, GuardedConnection) else None


@web.middleware
async def track_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pause the connection's deadlines while a request is handled (a WebSocket's whole life)."""
    guard = _guard_of(request)
    if guard is None:
        return await handler(request)
    guard.request_started()
    try:
        return await handler(request)
    finally:
        guard.request_finished()


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class BodyStalled(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"request body stalled for {seconds:g} s")
        self.seconds = seconds


async def read_body(
    request: web.BaseRequest, *, limit: int, timeouts: ConnectionTimeouts, counters: ConnectionCounters
) -> bytes:
    """The whole body, at most `limit` bytes, none of its bytes more than `body_gap_seconds` apart.

    Raises BodyTooLarge (as soon as Content-Length or the bytes read say so) or BodyStalled; the caller
    answers 413 or 408 in its own protocol's shape.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    if not request.body_exists:
        return b""
    loop = asyncio.get_running_loop()
    gap = timeouts.body_gap_seconds
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(gap) as deadline:
            while chunk := await request.content.readany():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                chunks.append(chunk)
                deadline.reschedule(loop.time() + gap)
    except TimeoutError:
        counters.body_timeouts += 1
        log.info("request body from %s stalled for %g s", request.remote, gap)
        raise BodyStalled(gap) from None
    return b"".join(chunks)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (IPv6 when `host` is an IPv6 address), ready for a `DeadlineSite`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class ListenerDeadlines:
    """One server's deadlines: `serve` its application on a port, `read_body` of its requests, `counters`."""

    def __init__(self, timeouts: ConnectionTimeouts | None = None) -> None:
        self.timeouts = timeouts or ConnectionTimeouts()
        self.counters = ConnectionCounters()

    async def serve(
        self, runner: web.BaseRunner, host: str, port: int, *, ssl_context: SSLContext | None = None
    ) -> int:
        """Listen on `host:port` (0: any free port) with the deadlines; the port bound."""
        sock = bind(host, port)
        await DeadlineSite(runner, sock, self.timeouts, self.counters, ssl_context=ssl_context).start()
        return int(sock.getsockname()[1])

    async def read_body(self, request: web.BaseRequest, limit: int) -> bytes:
        return await read_body(request, limit=limit, timeouts=self.timeouts, counters=self.counters)
