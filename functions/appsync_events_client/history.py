"""Where missed events come from: the `HistorySource` port, and `HttpHistorySource` over a history HTTP API.

AppSync Events keeps nothing, so an application that wants its subscribers to catch up records what is
published and serves it back. The contract a source speaks (what `HttpHistorySource` sends and expects):

    GET <api url><path>?channel=<channel or /prefix/*>&after=<cursor>&limit=<1..100>&sinceSeconds=<n>
        Authorization: Bearer <token>
    200 {"items": [{...event fields..., "cursor": "<opaque>"}, ...], "nextCursor": "<cursor>" | null}

Items are oldest first and strictly after `after`; `sinceSeconds` starts the read that long before the
service's clock; `nextCursor` is set while more follow. Every item carries its `cursor` and the id the
subscriber deduplicates by (`eventId`). A page holds only *settled* positions (a couple of seconds old), so
a reader that subscribes first and reads after its last cursor misses nothing.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from .errors import EventsError
from .http_exchange import KeptSession, exchange, json_or_none

DEFAULT_PATH = "/notifications"
MAX_PAGE = 100
MAX_SINCE_SECONDS = 999_999_999  # the furthest back `sinceSeconds` may reach (about 31 years)


@dataclass(frozen=True)
class HistoryQuery:
    """One page request: `channel` (or trailing-wildcard pattern), after a cursor and/or since a moment."""

    channel: str
    after: str | None = None
    since_seconds: int | None = None
    limit: int = MAX_PAGE


@dataclass(frozen=True)
class HistoryPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


class HistorySource(Protocol):
    """Pages of what was published to a channel, oldest first; raises `HistoryError`."""

    async def read(self, query: HistoryQuery) -> HistoryPage: ...


class HistoryError(EventsError):
    """The history source refused a read or could not be reached.

    `transient` is True when asking again may work (no answer, 429, 5xx); a 4xx other than 429 says the
    request itself is wrong (bad cursor, channel not granted, no token).
    """

    @property
    def transient(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class HttpHistorySource(KeptSession, contextlib.AbstractAsyncContextManager["HttpHistorySource"]):
    """`HistorySource` over HTTP with a bearer token (a string, or a callable called per request).

    `api_url` is the API's base URL (`http://127.0.0.1:4000`, `https://<id>.execute-api.<region>...`);
    `path` is the history route on it. Use as `async with` (one HTTP session) or call `close()`.
    """

    def __init__(
        self,
        api_url: str,
        token: str | Callable[[], str],
        *,
        path: str = DEFAULT_PATH,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not api_url.startswith(("http://", "https://")):
            raise ValueError(f"the history API URL must start with http:// or https://, got {api_url!r}")
        self.url = api_url.rstrip("/") + "/" + path.lstrip("/")
        self._token = token
        self._ssl = ssl_context
        self._timeout = timeout

    async def read(self, query: HistoryQuery) -> HistoryPage:
        params = {"channel": query.channel, "limit": str(query.limit)}
        if query.after is not None:
            params["after"] = query.after
        if query.since_seconds is not None:
            params["sinceSeconds"] = str(query.since_seconds)
        url = f"{self.url}?{urlencode(params)}"
        status, text = await self._get(url)
        body = json_or_none(text)
        if status == 200:
            return _page(url, body)
        raise HistoryError(f"HTTP{status}", _refusal(body, text), status=status)

    async def _get(self, url: str) -> tuple[int, str]:
        token = self._token() if callable(self._token) else self._token
        if not token:
            raise ValueError("HttpHistorySource has no token: pass the bearer token string (or a callable)")
        return await exchange(
            self._kept_session(),
            "GET",
            url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            ssl_context=self._ssl,
            timeout=self._timeout,
            endpoint=self.url,  # the messages leave the query string out
            doing="read",
            timed_out=HistoryError,
            failed=HistoryError,
        )


def _refusal(body: Any, text: str) -> str:
    """Why the API refused a request: its message, then each field it names and what is wrong with it, as in
    `Invalid request: fix after: after is not a cursor this service handed out; ...`."""
    if not isinstance(body, dict):
        return text[:300] or "no reason given"
    message = str(body.get("message") or "no reason given")
    errors = body.get("errors")
    fields = [
        f"{error.get('field')} {error.get('message')}"
        for error in (errors if isinstance(errors, list) else [])
        if isinstance(error, dict)
    ]
    return f"{message}: {'; '.join(fields)}" if fields else message


def _page(url: str, body: Any) -> HistoryPage:
    """The page, once its shape is the contract's: a half-understood page would silently lose events."""
    items = body.get("items") if isinstance(body, dict) else None
    next_cursor = body.get("nextCursor") if isinstance(body, dict) else None
    if (
        not isinstance(items, list)
        or not all(isinstance(item, dict) and isinstance(item.get("cursor"), str) for item in items)
        or not (next_cursor is None or isinstance(next_cursor, str))
    ):
        raise HistoryError(
            "MalformedHistoryPage",
            f"{url} did not answer {{'items': [{{..., 'cursor': ..}}], 'nextCursor': ..}}: {str(body)[:300]}",
        )
    return HistoryPage(items, next_cursor)
