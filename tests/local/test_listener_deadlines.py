"""Deadlines on the AppSync Events and HTTP API listeners, driven with raw sockets: partial headers, idle TCP,
kept-alive connections, stalled bodies, and the WebSocket that is exempt once upgraded."""

from __future__ import annotations

import asyncio
import json
import ssl
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.appsync_server import api_config, raw_client, run, running_server
from tests.support.invokers import CallableInvoker
from vcn.appsync.server import AppSyncEventsServer
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.connection_deadlines import ConnectionCounters, ConnectionTimeouts
from vcn.httpapi import ApiServer, HttpRoute

FAST = ConnectionTimeouts(headers_seconds=0.3, idle_seconds=3.0, body_gap_seconds=0.3)


@dataclass(frozen=True)
class Listener:
    port: int
    counters: ConnectionCounters
    request: bytes  # one complete, valid request that keeps the connection alive
    stalled_body_answer: tuple[int, object]  # status and JSON body for a body that stops arriving


ListenerFactory = Callable[[ConnectionTimeouts], AbstractAsyncContextManager[Listener]]


@asynccontextmanager
async def appsync_listener(timeouts: ConnectionTimeouts) -> AsyncIterator[Listener]:
    with tempfile.TemporaryDirectory() as state:
        server = AppSyncEventsServer(api_config(), None, state_dir=Path(state), timeouts=timeouts)
        await server.start()
        try:
            yield Listener(
                server.port or 0,
                server.deadlines.counters,
                b"OPTIONS /event HTTP/1.1\r\nHost: local\r\n\r\n",
                (
                    408,
                    {
                        "errors": [
                            {
                                "errorType": "BadRequestException",
                                "message": "The request body stopped arriving for 0.3 s;"
                                " send the whole body at once",
                            }
                        ]
                    },
                ),
            )
        finally:
            await server.stop()


@asynccontextmanager
async def http_api_listener(timeouts: ConnectionTimeouts) -> AsyncIterator[Listener]:
    invoker = CallableInvoker({"Echo": lambda event: {"statusCode": 200, "body": "ok"}})
    server = ApiServer(
        [HttpRoute("ANY", "/{proxy+}", "Echo")],
        invoker,
        account_id=LOCAL_ACCOUNT.account_id,
        timeouts=timeouts,
    )
    await server.start()
    try:
        yield Listener(
            server.port,
            server.deadlines.counters,
            b"GET /hello HTTP/1.1\r\nHost: local\r\n\r\n",
            (408, {"message": "Request Timeout"}),
        )
    finally:
        await server.stop()


LISTENERS = pytest.mark.parametrize(
    "listener", [appsync_listener, http_api_listener], ids=["appsync", "httpapi"]
)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status = int(head.split(b" ", 2)[1])
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    return status, await asyncio.wait_for(reader.readexactly(length), 10)


async def closed_by_server(reader: asyncio.StreamReader, within: float = 10) -> bytes:
    """Everything the server still sends before it closes the connection (fails if it stays open)."""
    return await asyncio.wait_for(reader.read(), within)


OnConnection = Callable[[Listener, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def on_a_connection(listener: ListenerFactory, body: OnConnection) -> None:
    """Start the listener with the FAST deadlines and run `body` on one raw TCP connection to it."""

    async def main() -> None:
        async with listener(FAST) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            try:
                await body(server, reader, writer)
            finally:
                writer.close()

    run(main())


@LISTENERS
def test_partial_headers_get_408_and_the_connection_closes(listener: ListenerFactory) -> None:
    async def body(server: Listener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET /slow HTTP/1.1\r\nHost: local\r\n")  # the blank line never comes
        answer = await closed_by_server(reader)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert b"Connection: close\r\n" in answer
        assert answer.endswith(
            b"\r\n\r\nRequest headers were not complete within 0.3 s; send the whole request at once.\n"
        )
        assert server.counters.header_timeouts == 1

    on_a_connection(listener, body)


@LISTENERS
def test_header_bytes_trickling_in_do_not_extend_the_deadline(listener: ListenerFactory) -> None:
    request = b"GET /slow HTTP/1.1\r\nHost: local\r\n" + b"X-Pad: a\r\n" * 200

    async def body(server: Listener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def trickle() -> None:  # 2,000 bytes at 50 a second would take 40 s
            for offset in range(len(request)):
                writer.write(request[offset : offset + 1])
                await asyncio.sleep(0.02)

        trickling = asyncio.create_task(trickle())
        answer = await closed_by_server(reader)
        assert not trickling.done()  # closed while the client was still sending its headers
        trickling.cancel()
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")

    on_a_connection(listener, body)


@LISTENERS
def test_a_connection_that_sends_nothing_is_closed_without_an_answer(listener: ListenerFactory) -> None:
    async def body(server: Listener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert await closed_by_server(reader) == b""
        assert server.counters.idle_closed == 1 and server.counters.header_timeouts == 0

    on_a_connection(listener, body)


@LISTENERS
def test_kept_alive_connection_waits_the_idle_deadline_not_the_header_one(
    listener: ListenerFactory,
) -> None:
    async def body(server: Listener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(server.request)
        status, _ = await read_response(reader)
        assert status < 400
        await asyncio.sleep(1.0)  # over three header deadlines, a third of the idle one
        writer.write(server.request)
        status, _ = await read_response(reader)
        assert status < 400
        assert await closed_by_server(reader) == b""  # after the 3 s idle deadline
        assert server.counters.idle_closed == 1 and server.counters.header_timeouts == 0

    on_a_connection(listener, body)


@LISTENERS
def test_a_body_that_stops_arriving_gets_408(listener: ListenerFactory) -> None:
    async def body(server: Listener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"POST /event HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n" + b'{"channel":'
        )
        status, answer = await read_response(reader)
        assert (status, json.loads(answer)) == server.stalled_body_answer
        assert server.counters.body_timeouts == 1
        assert await closed_by_server(reader) == b""

    on_a_connection(listener, body)


def test_an_upgraded_websocket_outlives_the_header_and_idle_deadlines() -> None:
    short = ConnectionTimeouts(headers_seconds=0.2, idle_seconds=0.4, body_gap_seconds=0.2)

    async def main() -> None:
        with tempfile.TemporaryDirectory() as state:
            server = AppSyncEventsServer(api_config(), None, state_dir=Path(state), timeouts=short)
            await server.start()
            try:
                async with raw_client(server) as client:
                    await asyncio.sleep(1.5)  # silent for longer than both deadlines
                    assert (await client.subscribe("s1", "/default/a"))["type"] == "subscribe_success"
                    await asyncio.sleep(1.0)
                    await client.publish("p1", "/default/a", ['"still here"'])
                    frames = [await client.recv(), await client.recv()]
                    assert {"type": "data", "id": "s1", "event": '"still here"'} in frames
                assert server.deadlines.counters.snapshot() == {
                    "RequestHeaderTimeouts": 0,
                    "IdleConnectionsClosed": 0,
                    "RequestBodyTimeouts": 0,
                }
            finally:
                await server.stop()

    run(main())


@pytest.mark.parametrize("field", ["headers_seconds", "idle_seconds", "body_gap_seconds"])
def test_timeouts_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be a positive number of seconds"):
        ConnectionTimeouts(**{field: 0})


def test_the_tls_listener_keeps_the_same_deadlines() -> None:
    async def main() -> None:
        async with running_server(api_config(), tls=True, timeouts=FAST) as server:
            assert server.tls_port is not None and server.tls_cert_path is not None
            context = ssl.create_default_context(cafile=str(server.tls_cert_path))
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", server.tls_port, ssl=context, server_hostname="127.0.0.1"
            )
            writer.write(b"GET /event HTTP/1.1\r\nHost: local\r\n")
            answer = await closed_by_server(reader)
            assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
            assert server.deadlines.counters.header_timeouts == 1
            writer.close()

    run(main())
