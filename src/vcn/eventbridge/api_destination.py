"""One HTTP invocation of an API destination: the URL with `*` path wildcards filled, AWS's request headers,
connection and target HTTP parameters (the connection's win), the auth header, and the outcome classified
as delivered, retryable or final.

ERROR_CODE values for dead-letter messages are local choices (AWS does not document them for API
destinations): `HTTP_<status>`, `TIMEOUT`, `CONNECTION_ERROR`, `OAUTH_TOKEN_ERROR`, and `INVALID_REQUEST`
(not retried) when the request cannot be written, e.g. a header value taken from the event holds a line break.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from vcn.eventbridge import strict_json
from vcn.eventbridge.connection_auth import AuthorizationFailed, ConnectionAuthorizer, parameter_pairs
from vcn.eventbridge.connections import OAUTH
from vcn.eventbridge.http_exchange import ExchangeFailed, InvalidRequest, exchange
from vcn.eventbridge.jsonpath import MISSING, InvalidJsonPath, parse_path, resolve
from vcn.eventbridge.model import ApiDestination, Connection
from vcn.eventbridge.retry import is_retryable_status, parse_retry_after
from vcn.invoker import DELIVERED, TargetAttempt

AWS_HEADERS = {
    "User-Agent": "Amazon/EventBridge/ApiDestinations",
    "Content-Type": "application/json; charset=utf-8",
    "Range": "bytes=0-1048575",
    "Accept-Encoding": "gzip,deflate",
    "Connection": "close",
}
_NO_BODY_METHODS = ("GET", "HEAD")

log = logging.getLogger("vcn.eventbridge")


def parameter_value(value: str, event: Mapping[str, Any]) -> str:
    """HttpParameters values may be JSON paths into the event (`$.detail.region`); others are literal."""
    if not value.startswith("$"):
        return value
    try:
        found = resolve(parse_path(value), event)
    except InvalidJsonPath:
        return value
    if found is MISSING:
        return ""
    return found if isinstance(found, str) else json.dumps(found, separators=(",", ":"))


def invocation_url(endpoint: str, path_values: list[str], event: Mapping[str, Any]) -> str:
    """Each `*` of the endpoint is replaced, in order, by the target's PathParameterValues."""
    pieces = endpoint.split("*")
    url = pieces[0]
    for index, piece in enumerate(pieces[1:]):
        url += (parameter_value(path_values[index], event) if index < len(path_values) else "") + piece
    return url


def _with_body_parameters(body: str, parameters: list[tuple[str, str]]) -> str:
    """Connection BodyParameters are added to a JSON object body (and win over its keys)."""
    if not parameters:
        return body
    try:
        document = strict_json.parse(body)
    except ValueError:
        return body
    if not isinstance(document, dict):
        return body
    document.update(parameters)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


class HeaderSet:
    """Request headers where a later value replaces an earlier one whatever the case of its name."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._by_name: dict[str, tuple[str, str]] = {}
        self.update(pairs)

    def update(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> None:
        for name, value in pairs.items() if isinstance(pairs, Mapping) else pairs:
            self._by_name[name.lower()] = (name, value)

    def items(self) -> list[tuple[str, str]]:
        return list(self._by_name.values())


class ApiDestinationClient:
    """Sends deliveries to API destinations, one connection per invocation as AWS does (`Connection: close`).

    OAuth token requests go through an aiohttp session (they are rare and need the response body)."""

    def __init__(
        self,
        authorizer: ConnectionAuthorizer,
        timeout_seconds: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.authorizer = authorizer
        self.timeout_seconds = timeout_seconds
        self._ssl_context = ssl_context  # None: the system's trust store
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._authorizing: set[asyncio.Task[None]] = set()

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            # No cookie jar: AWS keeps no cookies between invocations.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
            )
            self._session_loop = loop
        return self._session

    def authorize_soon(self, connection: Connection) -> None:
        """Ask an OAuth connection's token endpoint for a token now, as AWS does when the connection is
        created or updated, so that its state becomes AUTHORIZED (or DEAUTHORIZED, with the reason).

        Without a running event loop the first delivery asks instead."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._authorize(connection))
        self._authorizing.add(task)
        task.add_done_callback(self._authorizing.discard)

    async def _authorize(self, connection: Connection) -> None:
        try:
            await self.authorizer.headers(self.session, connection)
        except AuthorizationFailed as exc:
            log.warning("connection %s is not authorized: %s", connection.name, exc)

    def forget(self, connection: Connection) -> None:
        self.authorizer.forget(connection)

    async def close(self) -> None:
        for task in list(self._authorizing):
            task.cancel()
        if self._authorizing:
            await asyncio.gather(*self._authorizing, return_exceptions=True)
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def invoke(
        self,
        destination: ApiDestination,
        connection: Connection,
        http_parameters: Mapping[str, Any],
        event: Mapping[str, Any],
        body: str,
    ) -> TargetAttempt:
        connection_parameters = connection.auth_parameters.get("InvocationHttpParameters") or {}
        url = invocation_url(
            destination.invocation_endpoint, list(http_parameters.get("PathParameterValues", [])), event
        )
        headers = HeaderSet(AWS_HEADERS.items())
        headers.update(
            (name, parameter_value(value, event))
            for name, value in (http_parameters.get("HeaderParameters") or {}).items()
        )
        headers.update(parameter_pairs(connection_parameters, "HeaderParameters"))
        query = {
            name: parameter_value(value, event)
            for name, value in (http_parameters.get("QueryStringParameters") or {}).items()
        }
        query.update(parameter_pairs(connection_parameters, "QueryStringParameters"))
        payload = _with_body_parameters(body, parameter_pairs(connection_parameters, "BodyParameters"))
        try:
            headers.update(await self.authorizer.headers(self.session, connection))
        except AuthorizationFailed as exc:
            return TargetAttempt(False, exc.retryable, "OAUTH_TOKEN_ERROR", str(exc))
        method = destination.http_method
        try:
            async with asyncio.timeout(self.timeout_seconds):
                reply = await exchange(
                    method,
                    url,
                    headers=headers.items(),
                    query=query.items(),
                    body=None if method in _NO_BODY_METHODS else payload.encode("utf-8"),
                    ssl_context=self._ssl_context,
                )
        except TimeoutError:
            return TargetAttempt(
                False, True, "TIMEOUT", f"{method} {url} did not answer within {self.timeout_seconds:g} s"
            )
        except InvalidRequest as exc:
            return TargetAttempt(False, False, "INVALID_REQUEST", f"{method} {url} cannot be sent: {exc}")
        except ExchangeFailed as exc:
            return TargetAttempt(False, True, "CONNECTION_ERROR", f"{method} {url} failed: {exc}")
        status = reply.status
        if 200 <= status <= 299:
            return DELIVERED
        if status == 401 and connection.authorization_type == OAUTH:
            self.authorizer.forget(connection)
        return TargetAttempt(
            False,
            is_retryable_status(status),
            f"HTTP_{status}",
            f"{method} {url} answered {status}",
            parse_retry_after(reply.headers.get("retry-after")),
        )
