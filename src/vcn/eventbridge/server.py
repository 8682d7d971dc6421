"""The HTTP front of the local EventBridge (aiohttp): the AWS JSON 1.1 API on `POST /`, counters at
`GET /_vcn/metrics`, dead-letter queues at `/_vcn/dlq`, and a stop that lets deliveries finish or
dead-letters them. The local cloud may mount more operator routes beside these (`extra_routes`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from vcn.eventbridge import protocol
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.service import EventBridgeService

log = logging.getLogger("vcn.eventbridge")


class EventBridgeServer:
    def __init__(self, service: EventBridgeService, extra_routes: Iterable[web.RouteDef] = ()) -> None:
        self.service = service
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._url: str | None = None
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/", self._api)
        app.router.add_get("/_vcn/metrics", self._metrics)
        app.router.add_get("/_vcn/dlq", self._dlq_list)
        app.router.add_get("/_vcn/dlq/{message_id}", self._dlq_get)
        app.router.add_post("/_vcn/dlq/redrive", self._dlq_redrive)
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

    async def stop(self, grace_seconds: float = 5.0) -> int:
        """Stop accepting requests, give pending deliveries `grace_seconds`, dead-letter what is left.

        Returns how many deliveries went to a dead-letter queue because of the shutdown."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        leftovers = await self.service.shutdown(grace_seconds)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        return leftovers

    async def _api(self, request: web.Request) -> web.Response:
        request_id = str(uuid.uuid4())
        try:
            operation = protocol.operation_from_target(request.headers.get("X-Amz-Target"))
            payload = protocol.parse_request(await request.read())
            result = await self.service.call(operation, payload)
            body, status = protocol.encode(result), 200
        except EventBridgeError as error:
            body, status = protocol.error_body(error), error.status
        except Exception:
            log.exception("InternalException handling request %s", request_id)
            internal = EventBridgeError(
                "InternalException", f"Internal error; see the local log for {request_id}.", 500
            )
            body, status = protocol.error_body(internal), 500
        return web.Response(
            body=body,
            status=status,
            content_type=protocol.CONTENT_TYPE,
            headers={"x-amzn-RequestId": request_id},
        )

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.json_response(self.service.metrics.snapshot())

    async def _dlq_list(self, request: web.Request) -> web.Response:
        queue = request.query.get("queue")
        messages = [message.to_json() for message in self.service.dead_letters.list(queue)]
        return web.json_response({"Messages": messages})

    async def _dlq_get(self, request: web.Request) -> web.Response:
        try:
            message = self.service.dead_letters.get(request.match_info["message_id"])
        except KeyError as exc:
            return web.json_response({"message": str(exc.args[0])}, status=404)
        return web.json_response(message.to_json())

    async def _dlq_redrive(self, request: web.Request) -> web.Response:
        options: dict[str, Any] = await request.json() if request.can_read_body else {}
        report = await self.service.redrive(queue=options.get("queue"), message_ids=options.get("messageIds"))
        return web.json_response(
            {"Redriven": report.redriven, "Failed": report.failed, "Skipped": report.skipped}
        )
