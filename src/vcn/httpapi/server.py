"""The API port of the local cloud: HTTP API routes proxied to Lambda (payload 2.0), extra routes, files.

Order of precedence: the extra routes (the development identity provider), then the HTTP API's routes, then
the console's static files for GET, then 404 `{"message":"Not Found"}` as API Gateway answers. Before any of
them, a path that is not UTF-8 once percent-decoded, or holds a NUL, is refused with 400; request bodies are
limited to API Gateway's 10 MB and, like headers and idle connections, to the deadlines of
`vcn.connection_deadlines`. The gateway never parses a body: it reaches the function as it came.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote_to_bytes

from aiohttp import web
from aiohttp.typedefs import Handler

from vcn.connection_deadlines import (
    BodyStalled,
    BodyTooLarge,
    ConnectionTimeouts,
    ListenerDeadlines,
    track_requests,
)
from vcn.httpapi.authorizer import JwtAuthorizer, Unauthorized
from vcn.httpapi.config import HttpRoute, JwtAuthorizerConfig
from vcn.httpapi.console import static_response
from vcn.httpapi.payload import (
    IncomingRequest,
    MalformedResult,
    ProxyResponse,
    build_event,
    map_result,
    message,
)
from vcn.httpapi.routes import RouteTable
from vcn.invoker import FunctionError, FunctionNotFound, LambdaInvoker
from vcn.jwks import JwksSource

log = logging.getLogger("vcn.httpapi")

# API Gateway's payload limit for HTTP APIs.
MAX_BODY_BYTES = 10 * 1024 * 1024


class ApiServer:
    """Serves one HTTP API (and the identity provider's routes) on one port."""

    def __init__(
        self,
        routes: Sequence[HttpRoute],
        invoker: LambdaInvoker,
        *,
        account_id: str,
        api_id: str = "local",
        extra_routes: Sequence[web.RouteDef] = (),
        web_root: Path | None = None,
        jwks_source_for: Callable[[JwtAuthorizerConfig], JwksSource | None] | None = None,
        timeouts: ConnectionTimeouts | None = None,
    ) -> None:
        self.table = RouteTable(list(routes))
        self.invoker = invoker
        self.account_id = account_id
        self.api_id = api_id
        self.web_root = web_root
        self._authorizers: dict[JwtAuthorizerConfig, JwtAuthorizer] = {}
        for route in routes:
            if route.authorizer is not None and route.authorizer not in self._authorizers:
                source = jwks_source_for(route.authorizer) if jwks_source_for else None
                self._authorizers[route.authorizer] = JwtAuthorizer(route.authorizer, source)
        self.deadlines = ListenerDeadlines(timeouts)
        self.app = web.Application(
            client_max_size=MAX_BODY_BYTES, middlewares=[track_requests, _refuse_malformed_paths]
        )
        self.app.add_routes(list(extra_routes))
        self.app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self.port = await self.deadlines.serve(self._runner, host, port)
        self.host = host

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.rel_url.raw_path
        match = self.table.match(request.method, request.path)
        if match is None:
            if request.method in ("GET", "HEAD"):
                static = static_response(self.web_root, request.path)
                if static is not None:
                    return static
            return _send(message(404, "Not Found"))
        route = match.route
        authorizer_context = None
        if route.authorizer is not None:
            try:
                claims = await self._authorizers[route.authorizer].authorize(
                    {name.lower(): value for name, value in request.headers.items()}
                )
            except Unauthorized as exc:
                log.info("%s %s -> 401 (%s)", request.method, path, exc)
                return _send(message(401, "Unauthorized"))
            except Exception as exc:  # the JWKS could not be fetched: API Gateway also fails closed
                log.warning("%s %s -> 401, JWKS unavailable: %s", request.method, path, exc)
                return _send(message(401, "Unauthorized"))
            if route.authorization_scopes and not set(route.authorization_scopes) & set(claims.scopes or []):
                return _send(message(403, "Forbidden"))
            authorizer_context = {"jwt": {"claims": claims.claims, "scopes": claims.scopes}}
        try:
            body = await self.deadlines.read_body(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            log.info("%s %s -> 413: body over %d bytes", request.method, path, MAX_BODY_BYTES)
            return _send(message(413, "Request Entity Too Large"))
        except BodyStalled as stalled:
            log.info("%s %s -> 408: body stalled for %g s", request.method, path, stalled.seconds)
            timed_out = _send(message(408, "Request Timeout"))
            timed_out.force_close()  # the rest of the body may still come; do not read it as a request
            return timed_out
        incoming = IncomingRequest(
            method=request.method,
            raw_path=path,
            raw_query_string=request.rel_url.raw_query_string,
            headers=list(request.headers.items()),
            body=body,
            source_ip=request.remote or "127.0.0.1",
            protocol=f"HTTP/{request.version.major}.{request.version.minor}",
        )
        event = build_event(
            incoming,
            route_key=route.route_key,
            path_parameters=match.path_parameters,
            account_id=self.account_id,
            api_id=self.api_id,
            authorizer=authorizer_context,
        )
        try:
            result = await self.invoker.invoke(route.function, event)
            response = map_result(result)
        except FunctionError as exc:
            log.error("%s %s -> 500: %s failed: %s", request.method, path, route.function, exc)
            return _send(message(500, "Internal Server Error"))
        except FunctionNotFound:
            log.error("%s %s -> 500: function %s does not exist", request.method, path, route.function)
            return _send(message(500, "Internal Server Error"))
        except MalformedResult as exc:
            log.error("%s %s -> 500: bad response from %s: %s", request.method, path, route.function, exc)
            return _send(message(500, "Internal Server Error"))
        log.info("%s %s -> %s (%s)", request.method, path, response.status, route.function)
        return _send(response)


def malformed_path_reason(raw_path: str) -> str | None:
    """Why API Gateway would refuse this raw (still percent-encoded) path, or None when it is fine."""
    decoded = unquote_to_bytes(raw_path)
    if b"\0" in decoded:
        return "the path holds a NUL byte (%00)"
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the path is not UTF-8 once percent-decoded (byte {decoded[exc.start]:#04x})"
    return None


@web.middleware
async def _refuse_malformed_paths(request: web.Request, handler: Handler) -> web.StreamResponse:
    # UNCONFIRMED: API Gateway's exact message; a path it cannot decode is a bad request, never a crash.
    reason = malformed_path_reason(request.rel_url.raw_path)
    if reason is not None:
        log.info("%s %s -> 400: %s", request.method, request.rel_url.raw_path, reason)
        return _send(message(400, f"Bad Request: {reason}; percent-encode paths as UTF-8"))
    return await handler(request)


def _send(response: ProxyResponse) -> web.Response:
    result = web.Response(status=response.status, body=response.body)
    for name, value in response.headers:
        if name.lower() == "content-type":
            result.headers["Content-Type"] = value
        else:
            result.headers.add(name, value)
    if not response.body and "Content-Type" not in result.headers:
        result.headers["Content-Type"] = "application/json"
    return result
