"""DynamoDB's wire protocol: `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON body.

Requests for anything but a DynamoDB operation are refused with DynamoDB's `UnknownOperationException`, so
an SDK pointed here for another service fails loudly instead of being served by the wrong emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from .engine import DynamoDbEngine, Reply, error_reply, region_of
from .operations import operation_of

StartResponse = Callable[..., Any]


class DynamoDbHttpApp:
    """The WSGI application of the local DynamoDB endpoint."""

    def __init__(self, engine: DynamoDbEngine) -> None:
        self.engine = engine

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        reply = self._reply(environ)
        phrase = HTTPStatus(reply.status).phrase
        start_response(f"{reply.status} {phrase}", [*reply.headers, ("Content-Length", str(len(reply.body)))])
        return [reply.body]

    def _reply(self, environ: dict[str, Any]) -> Reply:
        region = region_of(environ.get("HTTP_AUTHORIZATION"), self.engine.default_region)
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "/") == "/":
            # What DynamoDB answers to a health check.
            body = f"healthy: dynamodb.{region}.amazonaws.com ".encode()
            return Reply(200, [("Content-Type", "text/plain")], body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if environ.get("REQUEST_METHOD") != "POST" or operation_of(target) is None:
            return error_reply(
                400,
                "UnknownOperationException",
                f"{target or 'a request without X-Amz-Target'} is not a DynamoDB operation: this endpoint "
                "serves DynamoDB's JSON API (POST / with X-Amz-Target: DynamoDB_20120810.<Operation>)",
            )
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        body = stream.read(int(length)) if length else stream.read()
        return self.engine.handle(region, target, body)
