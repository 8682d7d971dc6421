"""One HTTP/1.1 request and its response over a connection of its own, as an API destination invocation is:
EventBridge sends `Connection: close`, so nothing is pooled and every exchange connects, writes, reads the
response and closes.

Responses are parsed by llhttp (through `httptools`, the parser uvicorn uses); this module only writes the
request, whose every byte comes from values it checks. The response body is read and discarded: EventBridge
acts on the status and `Retry-After` only. For a connection used once, an aiohttp client request costs 1.5x
(asyncio loop) to 2.6x (uvloop) the CPU of this exchange (`python -m bench.exchange_bench`).
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

import httptools

_DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 9110 token characters for field names; values may not carry CR, LF or NUL.
_FIELD_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_FIELD_VALUE_FORBIDDEN = re.compile(r"[\r\n\x00]")
# Characters left as they are in a path or query; everything else is percent-encoded (existing escapes stay).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


class InvalidRequest(ValueError):
    """The request cannot be written: an unsupported URL or a header that would corrupt the message."""


class ExchangeFailed(Exception):
    """No complete response: the connection failed, closed early, or the response was not HTTP."""


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case; last value wins


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    target: str  # path and query as written on the request line
    host_header: str


def endpoint(url: str, query: Iterable[tuple[str, str]] = ()) -> Endpoint:
    """Where a URL (plus extra query parameters) is sent and how its request line and Host header read."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidRequest(f"{url!r} is not an http:// or https:// URL")
    host = parts.hostname
    if not host:
        raise InvalidRequest(f"{url!r} names no host")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise InvalidRequest(f"{url!r}: {exc}") from None
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query_text = quote(parts.query, safe=_QUERY_SAFE)
    extra = urlencode(list(query))
    if extra:
        query_text = f"{query_text}&{extra}" if query_text else extra
    named_host = f"[{host}]" if ":" in host else host
    host_header = named_host if port == _DEFAULT_PORTS[scheme] else f"{named_host}:{port}"
    return Endpoint(scheme, host, port, f"{path}?{query_text}" if query_text else path, host_header)


def encode_request(
    method: str, where: Endpoint, headers: Iterable[tuple[str, str]], body: bytes | None
) -> bytes:
    """The request's bytes: request line, Host, the given headers, Content-Length when there is a body.

    Host and Content-Length are always the exchange's own; a given header of either name is left out."""
    if not _FIELD_NAME.match(method):
        raise InvalidRequest(f"{method!r} is not an HTTP method")
    lines = [f"{method} {where.target} HTTP/1.1", f"Host: {where.host_header}"]
    for name, value in headers:
        if not _FIELD_NAME.match(name):
            raise InvalidRequest(f"header name {name!r} is not a valid HTTP field name")
        if _FIELD_VALUE_FORBIDDEN.search(value):
            raise InvalidRequest(f"the value of header {name!r} contains a line break or NUL")
        if name.lower() not in ("host", "content-length", "transfer-encoding"):
            lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    return head + body if body else head


class _ResponseReader(asyncio.Protocol):
    """Feeds what arrives to llhttp and resolves `reply` once the response is complete."""

    def __init__(self, reply: asyncio.Future[HttpReply], bodyless: bool) -> None:
        self._reply = reply
        self._bodyless = bodyless  # a response to HEAD has no body, whatever its Content-Length says
        self._parser = httptools.HttpResponseParser(self)
        self._headers: dict[str, str] = {}
        self._status: int | None = None  # known once the headers are complete

    # asyncio.Protocol (`exchange` closes the transport once `reply` is done)

    def data_received(self, data: bytes) -> None:
        if self._reply.done():
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._resolve()
        except httptools.HttpParserError as exc:
            self._reply.set_exception(ExchangeFailed(f"the response is not valid HTTP/1.1 ({exc})"))

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._reply.done():
            return
        if self._status is not None:
            # A body delimited by the end of the connection (no Content-Length, not chunked) ends here.
            self._resolve()
        elif exc is not None:
            self._reply.set_exception(ExchangeFailed(f"the connection failed: {exc}"))
        else:
            self._reply.set_exception(ExchangeFailed("the server closed the connection without a response"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self._headers = {}  # an interim response: the real one follows
            return
        self._status = status
        if self._bodyless:
            self._resolve()

    def on_message_complete(self) -> None:
        if self._status is not None:
            self._resolve()

    def _resolve(self) -> None:
        if not self._reply.done() and self._status is not None:
            self._reply.set_result(HttpReply(self._status, self._headers))


@functools.cache
def _system_trust() -> ssl.SSLContext:
    """The default TLS context, built once: loading the trust store costs ~27 ms here."""
    return ssl.create_default_context()


async def exchange(
    method: str,
    url: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    query: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> HttpReply:
    """Send one request on a new connection and return the response's status and headers.

    Raises InvalidRequest before connecting, ExchangeFailed when no complete response arrives; callers bound
    the whole exchange with a timeout (cancellation closes the connection)."""
    where = endpoint(url, query)
    request = encode_request(method, where, headers, body)
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[HttpReply] = loop.create_future()
    tls = (ssl_context or _system_trust()) if where.scheme == "https" else None
    try:
        transport, _ = await loop.create_connection(
            lambda: _ResponseReader(reply, method == "HEAD"),
            where.host,
            where.port,
            ssl=tls,
            server_hostname=where.host if tls else None,
        )
    except OSError as exc:  # ssl.SSLError included
        raise ExchangeFailed(f"cannot connect to {where.host}:{where.port}: {exc}") from None
    try:
        transport.write(request)
        return await reply
    finally:
        transport.close()
