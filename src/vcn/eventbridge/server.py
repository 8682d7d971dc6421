"""The HTTP front of the local EventBridge (aiohttp): the AWS JSON 1.1 API on `POST /` (and SQS's SendMessage
to the local queues, `sqs_api`), counters at
`GET /_vcn/metrics`, dead-letter queues at `/_vcn/dlq` (list, one message, background redrives and their
progress), and a stop that lets deliveries finish or keeps them in the journal. The local cloud may mount
more operator routes beside these (`extra_routes`).

Bodies over `max_request_bytes` are answered 413 from their Content-Length, before they are read."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from vcn.eventbridge import protocol, sqs_api, strict_json
from vcn.eventbridge.delivery import DrainReport
from vcn.eventbridge.dlq import InvalidName, check_message_id
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.service import EventBridgeService

log = logging.getLogger("vcn.eventbridge")

REDRIVE_FIELDS = ("queue", "messageIds")
REDRIVE_SHAPE = 'send {"queue": "<queue name>", "messageIds": ["<message id>", ...]}, both optional'


class BadOperationsRequest(Exception):
    """A request to a `/_vcn` endpoint that cannot be served as sent; the message says what to send."""


class EventBridgeServer:
    def __init__(self, service: EventBridgeService, extra_routes: Iterable[web.RouteDef] = ()) -> None:
        self.service = service
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._url: str | None = None
        app = web.Application(client_max_size=service.settings.max_request_bytes)
        app.router.add_post("/", self._api)
        app.router.add_get("/_vcn/metrics", self._metrics)
        app.router.add_get("/_vcn/dlq", self._dlq_list)
        app.router.add_get("/_vcn/dlq/{message_id}", self._dlq_get)
        app.router.add_post("/_vcn/dlq/redrive", self._dlq_redrive)
        app.router.add_get("/_vcn/dlq/redrive/{redrive_id}", self._dlq_redrive_progress)
        app.router.add_routes(list(extra_routes))
        self._app = app

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("EventBridgeServer.start() has not run yet")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        bound_port = self._runner.addresses[-1][1]
        self._url = f"http://{host}:{bound_port}"
        log.info("EventBridge listening on %s", self._url)

    async def stop(self, grace_seconds: float = 5.0) -> DrainReport:
        """Stop accepting requests, give pending deliveries `grace_seconds`; the rest stay journaled."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        report = await self.service.shutdown(grace_seconds)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        return report

    async def _api(self, request: web.Request) -> web.Response:
        request_id = str(uuid.uuid4())
        target = request.headers.get("X-Amz-Target")
        if sqs_api.is_sqs_target(target):
            assert target is not None
            return await self._sqs(request, target, request_id)
        try:
            body = await self._read_body(request)
            operation = protocol.operation_from_target(request.headers.get("X-Amz-Target"))
            result = await self.service.call(operation, protocol.parse_request(body))
            payload, status = protocol.encode(result), 200
        except EventBridgeError as error:
            payload, status = protocol.error_body(error), error.status
        except Exception:
            log.exception("InternalException handling request %s", request_id)
            internal = EventBridgeError(
                "InternalException", f"Internal error; see the local log for {request_id}.", 500
            )
            payload, status = protocol.error_body(internal), 500
        return web.Response(
            body=payload,
            status=status,
            content_type=protocol.CONTENT_TYPE,
            headers={"x-amzn-RequestId": request_id},
        )

    async def _sqs(self, request: web.Request, target: str, request_id: str) -> web.Response:
        """SendMessage to a local queue (a function's SQS client reaches this port: `sqs_api`)."""
        try:
            body = await self._read_body(request)
        except EventBridgeError as error:
            status, payload = error.status, sqs_api.SqsError("RequestTooLarge", error.message, 413).body()
        else:
            status, payload = sqs_api.handle(self.service.dead_letters, target, body)
        return web.Response(
            body=payload,
            status=status,
            content_type=sqs_api.CONTENT_TYPE,
            headers={"x-amzn-RequestId": request_id},
        )

    async def _read_body(self, request: web.Request) -> bytes:
        settings = self.service.settings
        limit = settings.max_request_bytes
        if request.content_length is not None and request.content_length > limit:
            raise protocol.too_large(request.content_length, limit, settings.max_put_events_bytes)
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:  # a chunked body that grew past the limit
            raise protocol.too_large(None, limit, settings.max_put_events_bytes) from None

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.json_response(self.service.metrics.snapshot())

    async def _dlq_list(self, request: web.Request) -> web.Response:
        try:
            messages = self.service.dead_letters.list(request.query.get("queue"))
        except InvalidName as exc:
            return _message(400, str(exc))
        return web.json_response({"Messages": [message.to_json() for message in messages]})

    async def _dlq_get(self, request: web.Request) -> web.Response:
        try:
            message = self.service.dead_letters.get(request.match_info["message_id"])
        except InvalidName as exc:
            return _message(400, str(exc))
        except KeyError as exc:
            return _message(404, str(exc.args[0]))
        return web.json_response(message.to_json())

    async def _dlq_redrive(self, request: web.Request) -> web.Response:
        """Start a redrive: 202 at once, with the id to follow at `/_vcn/dlq/redrive/<id>`."""
        try:
            queue, message_ids = _redrive_options(await request.read())
            run = await self.service.start_redrive(queue, message_ids)
        except (BadOperationsRequest, InvalidName) as exc:
            return _message(400, str(exc))
        except web.HTTPRequestEntityTooLarge:
            return _message(413, "The redrive request is too large; " + REDRIVE_SHAPE + ".")
        return web.json_response(run.to_json(), status=202)

    async def _dlq_redrive_progress(self, request: web.Request) -> web.Response:
        redrive_id = request.match_info["redrive_id"]
        run = self.service.redrives.get(redrive_id)
        if run is None:
            return _message(
                404,
                f"No redrive {redrive_id} in this local EventBridge (runs are forgotten when it stops, and "
                "only the latest are kept); messages not redriven are still in `vcn dlq list`.",
            )
        return web.json_response(run.to_json())


def _message(status: int, text: str) -> web.Response:
    return web.json_response({"message": text}, status=status)


def _redrive_options(body: bytes) -> tuple[str | None, list[str] | None]:
    """The queue and message ids of a redrive request (an empty body redrives every queue)."""
    if not body.strip():
        return None, None
    try:
        options = strict_json.parse(body)
    except strict_json.JsonRefused as exc:
        raise BadOperationsRequest(
            f"The redrive request is not valid JSON ({exc.reason}); {REDRIVE_SHAPE}."
        ) from None
    if not isinstance(options, dict):
        raise BadOperationsRequest(f"The redrive request must be a JSON object; {REDRIVE_SHAPE}.")
    unknown = sorted(set(options) - set(REDRIVE_FIELDS))
    if unknown:
        raise BadOperationsRequest(
            f"Unknown field(s) {', '.join(unknown)} in the redrive request; {REDRIVE_SHAPE}."
        )
    queue: Any = options.get("queue")
    if queue is not None and not isinstance(queue, str):
        raise BadOperationsRequest(f"queue must be a string; {REDRIVE_SHAPE}.")
    message_ids: Any = options.get("messageIds")
    if message_ids is not None:
        if not isinstance(message_ids, list) or not all(isinstance(item, str) for item in message_ids):
            raise BadOperationsRequest(f"messageIds must be a list of strings; {REDRIVE_SHAPE}.")
        for message_id in message_ids:
            check_message_id(message_id)
    return queue, message_ids
