"""The API destinations' HTTP exchange (vcn.eventbridge.http_exchange): the request bytes it writes, and its
reading of real responses from servers on loopback (aiohttp and raw sockets), on both event loops."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop
from aiohttp import web

from tests.support.loopback_http import serve_on_loopback
from vcn.appsync.tls import ensure_tls_files
from vcn.eventbridge.api_destination import ApiDestinationClient
from vcn.eventbridge.connection_auth import ConnectionAuthorizer
from vcn.eventbridge.http_exchange import (
    ExchangeFailed,
    HttpReply,
    InvalidRequest,
    encode_request,
    endpoint,
    exchange,
)
from vcn.eventbridge.model import ApiDestination, Connection

# Runs a coroutine to its end on a fresh event loop of one kind.
RunOnLoop = Callable[[Coroutine[Any, Any, Any]], Any]

LOOPS: dict[str, RunOnLoop] = {
    "asyncio": asyncio.run,
    "uvloop": uvloop.run,
}


@pytest.fixture(params=sorted(LOOPS))
def run(request: pytest.FixtureRequest) -> Iterator[RunOnLoop]:
    yield LOOPS[request.param]


# ---- the request as written


def test_request_line_host_and_content_length() -> None:
    where = endpoint("http://127.0.0.1:8080/in")
    raw = encode_request("POST", where, [("Content-Type", "application/json")], b'{"a":1}')
    assert raw == (
        b"POST /in HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
        b'Content-Length: 7\r\n\r\n{"a":1}'
    )


def test_a_request_without_body_has_no_content_length() -> None:
    raw = encode_request("GET", endpoint("https://example.com/x"), [], None)
    assert raw == b"GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n"


def test_an_empty_body_is_announced_as_zero_length() -> None:
    raw = encode_request("POST", endpoint("http://h/"), [], b"")
    assert raw.endswith(b"Content-Length: 0\r\n\r\n")


@pytest.mark.parametrize(
    ("url", "query", "target", "host"),
    [
        ("http://h", [], "/", "h"),
        ("http://h:80/a", [], "/a", "h"),
        ("https://h:443/a", [], "/a", "h"),
        ("https://h:8443/a", [], "/a", "h:8443"),
        ("http://[::1]:9000/a", [], "/a", "[::1]:9000"),
        ("http://h/a b/é", [], "/a%20b/%C3%A9", "h"),
        ("http://h/a%20b", [], "/a%20b", "h"),
        ("http://h/a?x=1", [("y", "2 3")], "/a?x=1&y=2+3", "h"),
        ("http://h/a", [("k", "a&b=c")], "/a?k=a%26b%3Dc", "h"),
    ],
)
def test_endpoint_request_target_and_host(
    url: str, query: list[tuple[str, str]], target: str, host: str
) -> None:
    where = endpoint(url, query)
    assert (where.target, where.host_header) == (target, host)


@pytest.mark.parametrize("url", ["ftp://h/x", "h/x", "http:///x", "http://h:99999/x"])
def test_urls_that_cannot_be_sent_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequest):
        endpoint(url)


@pytest.mark.parametrize(
    "header",
    [
        ("x-market", "DE\r\nX-Injected: 1"),
        ("x-market", "DE\nx"),
        ("x-market", "a\x00b"),
        ("bad name", "v"),
        ("", "v"),
    ],
)
def test_headers_that_would_corrupt_the_request_are_refused(header: tuple[str, str]) -> None:
    with pytest.raises(InvalidRequest):
        encode_request("POST", endpoint("http://h/"), [header], b"")


def test_given_host_and_content_length_headers_are_the_exchanges_own() -> None:
    raw = encode_request("POST", endpoint("http://h/"), [("Host", "evil"), ("Content-Length", "99")], b"ab")
    assert raw == b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab"


# ---- responses from real servers


async def _with_raw_server(
    respond: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    client: Callable[[str], Awaitable[Any]],
) -> Any:
    server = await asyncio.start_server(respond, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await client(f"http://127.0.0.1:{port}/in")
    finally:
        server.close()
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


def _answering(response: bytes, *, close: bool = True, seen: list[bytes] | None = None) -> Any:
    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        if seen is not None:
            seen.append(request)
        writer.write(response)
        await writer.drain()
        if close:
            writer.close()
        else:
            await asyncio.sleep(5)

    return respond


def test_status_and_headers_of_a_complete_response(run: RunOnLoop) -> None:
    seen: list[bytes] = []
    response = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nbusy"

    async def client(url: str) -> HttpReply:
        return await exchange("POST", url, headers=[("x-api-key", "k")], body=b"{}")

    reply = run(_with_raw_server(_answering(response, close=False, seen=seen), client))
    assert reply.status == 503 and reply.headers["retry-after"] == "7"
    assert seen[0].startswith(b"POST /in HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nx-api-key: k\r\n" in seen[0] and seen[0].endswith(b"\r\n\r\n{}")


@pytest.mark.parametrize(
    ("response", "close", "status"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            False,
            200,
        ),
        (b"HTTP/1.1 202 Accepted\r\n\r\nno length, the close ends it", True, 202),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", False, 201),
    ],
    ids=[
        "chunked-body-read-to-its-end",
        "body-delimited-by-the-end-of-the-connection",
        "interim-100-continue-skipped",
    ],
)
def test_a_response_is_read_however_its_body_is_framed(
    run: RunOnLoop, response: bytes, close: bool, status: int
) -> None:
    async def client(url: str) -> HttpReply:
        return await exchange("POST", url, body=b"x")

    assert run(_with_raw_server(_answering(response, close=close), client)).status == status


def test_head_response_ends_with_its_headers(run: RunOnLoop) -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"  # and the server keeps the connection open

    async def client(url: str) -> HttpReply:
        async with asyncio.timeout(2):
            return await exchange("HEAD", url)

    assert run(_with_raw_server(_answering(response, close=False), client)).status == 200


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (b"", "without a response"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "without a response"),
        (b"this is not http\r\n\r\n", "not valid HTTP/1.1"),
    ],
)
def test_no_complete_response_is_an_exchange_failure(run: RunOnLoop, response: bytes, reason: str) -> None:
    async def client(url: str) -> str:
        with pytest.raises(ExchangeFailed) as failure:
            await exchange("POST", url, body=b"x")
        return str(failure.value)

    assert reason in run(_with_raw_server(_answering(response), client))


def test_refused_connection_is_an_exchange_failure(run: RunOnLoop) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused

        async def client() -> None:
            with pytest.raises(ExchangeFailed, match="cannot connect"):
                await exchange("POST", f"http://127.0.0.1:{port}/in", body=b"x")

        run(client())


def test_cancelling_a_slow_exchange_closes_its_connection(run: RunOnLoop) -> None:
    closed = asyncio.Event()

    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await reader.read()  # returns at EOF: the client closed
        closed.set()

    async def client(url: str) -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await exchange("POST", url, body=b"x")
        async with asyncio.timeout(2):
            await closed.wait()

    run(_with_raw_server(respond, client))


def test_https_endpoint_with_a_trusted_certificate(run: RunOnLoop, tmp_path: Path) -> None:
    tls = ensure_tls_files(tmp_path)
    trust = ssl.create_default_context(cafile=str(tls.ca_cert))

    async def main() -> tuple[int, str]:
        seen: list[str] = []

        async def handler(request: web.Request) -> web.Response:
            seen.append(request.headers["Host"])
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/in", handler)
        runner, port = await serve_on_loopback(app, ssl_context=tls.server_context())
        try:
            reply = await exchange("POST", f"https://localhost:{port}/in", body=b"{}", ssl_context=trust)
            with pytest.raises(ExchangeFailed, match="cannot connect"):
                await exchange("POST", f"https://localhost:{port}/in", body=b"{}")  # system trust store
            return reply.status, seen[0]
        finally:
            await runner.cleanup()

    status, host = run(main())
    assert status == 204 and host.startswith("localhost:")


# ---- through the API destination client


def test_header_value_from_the_event_with_a_line_break_fails_without_retry(run: RunOnLoop) -> None:
    destination = ApiDestination("d", "arn:d", "arn:c", "http://127.0.0.1:9/in", "POST", 10, None, 0, 0)
    connection = Connection(
        "c", "arn:c", "BASIC", {"BasicAuthParameters": {"Username": "u", "Password": "p"}}, None, "s", 0, 0
    )
    event = {"detail": {"market": "DE\r\nX-Injected: yes"}}

    async def main() -> Any:
        client = ApiDestinationClient(ConnectionAuthorizer(30, 5), 5)
        try:
            return await client.invoke(
                destination, connection, {"HeaderParameters": {"x-market": "$.detail.market"}}, event, "{}"
            )
        finally:
            await client.close()

    result = run(main())
    assert (result.delivered, result.retryable, result.error_code) == (False, False, "INVALID_REQUEST")
    assert "x-market" in result.error_message


def test_a_header_parameter_replaces_an_aws_header_whatever_its_case(run: RunOnLoop) -> None:
    seen: list[bytes] = []
    connection = Connection(
        "c",
        "arn:c",
        "API_KEY",
        {"ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "k"}},
        None,
        "s",
        0,
        0,
    )

    async def client(url: str) -> Any:
        destination = ApiDestination("d", "arn:d", "arn:c", url, "POST", 10, None, 0, 0)
        api = ApiDestinationClient(ConnectionAuthorizer(30, 5), 5)
        parameters = {"HeaderParameters": {"content-type": "text/plain", "x-api-key": "from-target"}}
        return await api.invoke(destination, connection, parameters, {}, "{}")

    response = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    result = run(_with_raw_server(_answering(response, seen=seen), client))
    assert result.delivered
    lines = seen[0].lower().split(b"\r\n")
    assert [line for line in lines if line.startswith(b"content-type:")] == [b"content-type: text/plain"]
    assert [line for line in lines if line.startswith(b"x-api-key:")] == [
        b"x-api-key: k"
    ]  # the connection's wins
