"""One HTTP invocation of an API destination: the URL with `*` path wildcards filled, AWS's request headers,
connection and target HTTP parameters (the connection's win), the auth header, and the outcome classified
as delivered, retryable or final.

ERROR_CODE values for dead-letter messages are local choices (AWS does not document them for API
destinations): `HTTP_<status>`, `TIMEOUT`, `CONNECTION_ERROR`, `OAUTH_TOKEN_ERROR`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from vcn.eventbridge.connection_auth import AuthorizationFailed, ConnectionAuthorizer, parameter_pairs
from vcn.eventbridge.connections import OAUTH
from vcn.eventbridge.jsonpath import MISSING, InvalidJsonPath, parse_path, resolve
from vcn.eventbridge.model import ApiDestination, Connection
from vcn.eventbridge.retry import is_retryable_status, parse_retry_after

AWS_HEADERS = {
    "User-Agent": "Amazon/EventBridge/ApiDestinations",
    "Content-Type": "application/json; charset=utf-8",
    "Range": "bytes=0-1048575",
    "Accept-Encoding": "gzip,deflate",
    "Connection": "close",
}
# aiohttp would add `Accept: */*`; AWS sends no Accept header.
_SKIP_AUTO_HEADERS = ("Accept",)
_NO_BODY_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    retryable: bool = False
    error_code: str = ""
    error_message: str = ""
    retry_after: float | None = None


DELIVERED = AttemptResult(True)


def parameter_value(value: str, event: Mapping[str, Any]) -> str:
    """HttpParameters values may be JSON paths into the event (`$.detail.market`); others are literal."""
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
        document = json.loads(body)
    except ValueError:
        return body
    if not isinstance(document, dict):
        return body
    document.update(parameters)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


class ApiDestinationClient:
    """Sends deliveries to API destinations over one aiohttp session."""

    def __init__(
        self, authorizer: ConnectionAuthorizer, timeout_seconds: float, connection_close: bool = True
    ) -> None:
        self.authorizer = authorizer
        self._headers = dict(AWS_HEADERS)
        if not connection_close:
            del self._headers["Connection"]
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            # No cookie jar: AWS keeps no cookies between invocations.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
            )
            self._session_loop = loop
        return self._session

    async def close(self) -> None:
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
    ) -> AttemptResult:
        session = self.session()
        connection_parameters = connection.auth_parameters.get("InvocationHttpParameters") or {}
        url = invocation_url(
            destination.invocation_endpoint, list(http_parameters.get("PathParameterValues", [])), event
        )
        headers = dict(self._headers)
        for name, value in (http_parameters.get("HeaderParameters") or {}).items():
            headers[name] = parameter_value(value, event)
        headers.update(parameter_pairs(connection_parameters, "HeaderParameters"))
        query = {
            name: parameter_value(value, event)
            for name, value in (http_parameters.get("QueryStringParameters") or {}).items()
        }
        query.update(parameter_pairs(connection_parameters, "QueryStringParameters"))
        payload = _with_body_parameters(body, parameter_pairs(connection_parameters, "BodyParameters"))
        try:
            headers.update(await self.authorizer.headers(session, connection))
        except AuthorizationFailed as exc:
            return AttemptResult(False, exc.retryable, "OAUTH_TOKEN_ERROR", str(exc))
        method = destination.http_method
        try:
            async with session.request(
                method,
                url,
                params=query or None,
                data=None if method in _NO_BODY_METHODS else payload.encode("utf-8"),
                headers=headers,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                timeout=self._timeout,
                allow_redirects=False,  # a 3xx is a final answer for EventBridge, not a hop to follow
            ) as response:
                await response.read()
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
        except TimeoutError:
            return AttemptResult(
                False, True, "TIMEOUT", f"{method} {url} did not answer within {self._timeout.total} s"
            )
        except aiohttp.ClientError as exc:
            return AttemptResult(False, True, "CONNECTION_ERROR", f"{method} {url} failed: {exc}")
        if 200 <= status <= 299:
            return DELIVERED
        if status == 401 and connection.authorization_type == OAUTH:
            self.authorizer.forget(connection)
        return AttemptResult(
            False,
            is_retryable_status(status),
            f"HTTP_{status}",
            f"{method} {url} answered {status}",
            retry_after,
        )
