"""One HTTP exchange as the client makes them: the answer's status and text, or a typed error.

Publishing (`POST /event`) and reading a history (`GET <api>/notifications`) fail the same two ways: no
answer within the timeout, or no request at all (refused, unreachable, TLS). Each caller names the error
classes it raises for them and what it was doing; the messages name the endpoint, not the query string.
Both keep one HTTP session across requests (`KeptSession`) until they are closed.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import aiohttp

from .errors import ConnectionLost, EventsError, OperationTimeout


class KeptSession:
    """An HTTP session kept across requests: made on first use; closed by `close()` or by `async with`."""

    _session: aiohttp.ClientSession | None = None

    def _kept_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


async def exchange(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    data: bytes | None = None,
    ssl_context: ssl.SSLContext | None,
    timeout: float,
    endpoint: str | None = None,
    doing: str,
    timed_out: type[EventsError] = OperationTimeout,
    failed: type[EventsError] = ConnectionLost,
) -> tuple[int, str]:
    """Send the request (TLS verified by `ssl_context`, or the system's CAs) and read the whole answer.

    No answer within `timeout` seconds raises `timed_out("OperationTimeout", ...)`; a request that could not
    be made raises `failed("ConnectionFailed", "could not <doing> <endpoint>: ...")`. `endpoint` (default:
    `url`) is what the messages name.
    """
    endpoint = endpoint or url
    try:
        async with session.request(
            method,
            url,
            data=data,
            headers=headers,
            ssl=ssl_context if ssl_context is not None else True,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            return response.status, await response.text()
    except TimeoutError:
        raise timed_out("OperationTimeout", f"no answer from {endpoint} within {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise failed("ConnectionFailed", f"could not {doing} {endpoint}: {exc}") from exc


def json_or_none(text: str) -> Any:
    """An answer's text as JSON; None when it is empty or not JSON (the caller says what it expected)."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
