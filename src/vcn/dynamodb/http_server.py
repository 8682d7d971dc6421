"""The local DynamoDB's HTTP endpoint: DynamoDB's wire protocol over persistent HTTP/1.1 connections.

The protocol: `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON body. Requests for
anything but a DynamoDB operation are refused with DynamoDB's `UnknownOperationException`, so an SDK pointed
here for another service fails loudly instead of being served by the wrong emulator.

The server keeps connections open between requests, as DynamoDB does; one thread serves each connection.
werkzeug's development server, used before, closes every connection after one reply, so every SDK call paid a
new TCP connection and a new thread: 0.3-0.4 ms of this process's CPU per request (bench/README.md, "Local
DynamoDB"). A request's body is always read whole, by its Content-Length, before the reply, so the next
request on the connection starts where it should; a body without a Content-Length (chunked) is answered 411
and the connection closed. A reply leaves in one write with Nagle's algorithm off: a small reply is not held
back until the client acknowledges the one before (40 ms with delayed acknowledgements).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from .engine import DynamoDbEngine, Reply, error_reply, region_of
from .operations import operation_of


class Headers(Protocol):
    """A request's headers, looked up without regard to case (`email.message.Message`)."""

    def get(self, name: str) -> str | None: ...


# (method, path, headers, body) -> the reply
Answer = Callable[[str, str, Headers, bytes], Reply]
IDLE_CONNECTION_SECONDS = 120.0  # an idle connection's thread ends after this long
_REPLY_BUFFER = 64 * 1024  # status line, headers and body of a usual reply in one send


def dynamodb_answer(engine: DynamoDbEngine) -> Answer:
    """How the local DynamoDB answers one request."""

    def answer(method: str, path: str, headers: Headers, body: bytes) -> Reply:
        region = region_of(headers.get("Authorization"), engine.default_region)
        if method == "GET" and path == "/":
            # What DynamoDB answers to a health check.
            return Reply(
                200, [("Content-Type", "text/plain")], f"healthy: dynamodb.{region}.amazonaws.com ".encode()
            )
        target = headers.get("X-Amz-Target") or ""
        if method != "POST" or operation_of(target) is None:
            return error_reply(
                400,
                "UnknownOperationException",
                f"{target or 'a request without X-Amz-Target'} is not a DynamoDB operation: this endpoint "
                "serves DynamoDB's JSON API (POST / with X-Amz-Target: DynamoDB_20120810.<Operation>)",
            )
        return engine.handle(region, target, body)

    return answer


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_SECONDS
    wbufsize = _REPLY_BUFFER
    server: DynamoDbHttpServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            self._send(error_reply(411, "ValidationException", "send the request body with a Content-Length"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(error_reply(400, "ValidationException", "the Content-Length header is not a length"))
            return
        body = self.rfile.read(length) if length else b""
        self._send(self.server.answer(self.command, self.path, self.headers, body))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status, HTTPStatus(reply.status).phrase)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the log; failures are logged by the engine


class DynamoDbHttpServer(ThreadingHTTPServer):
    """Serves `answer` on an already listening socket (bound by the caller, so a taken port is its error)."""

    daemon_threads = True  # a connection left open must not hold the process at exit

    def __init__(self, listener: socket.socket, answer: Answer) -> None:
        super().__init__(listener.getsockname()[:2], _RequestHandler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_address = listener.getsockname()
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])
        self.answer = answer

    @property
    def port(self) -> int:
        return self.server_port
