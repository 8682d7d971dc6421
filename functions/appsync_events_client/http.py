"""Publishing over HTTP: `POST <http url>` with `{"channel":..,"events":[..]}` and the auth headers."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import Any

import aiohttp

from .auth import Auth, canonical_json
from .connection import PublishResult, encode_events, normalize_channel
from .endpoints import Endpoints
from .errors import PublishError
from .http_exchange import exchange, json_or_none


async def publish_http(
    session: aiohttp.ClientSession,
    endpoints: Endpoints,
    auth: Auth,
    channel: str,
    events: Sequence[Any],
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 10.0,
) -> PublishResult:
    """Publish 1-5 events to `channel`; raises `PublishError` carrying the errorType and the HTTP status."""
    channel = normalize_channel(channel)
    body = canonical_json({"channel": channel, "events": encode_events(events)})
    headers = auth.http_headers(endpoints.http_url, endpoints.host, body)
    status, text = await exchange(
        session,
        "POST",
        endpoints.http_url,
        headers=headers,
        data=body.encode(),
        ssl_context=ssl_context,
        timeout=timeout,
        doing="publish to",
    )
    parsed = json_or_none(text)
    reply = parsed if isinstance(parsed, dict) else {}
    if 200 <= status < 300:
        return PublishResult.from_reply(reply)
    if not reply.get("errors"):
        raise PublishError(f"HTTP{status}", text[:500], status=status)
    raise PublishError.from_errors(reply["errors"], status=status, fallback=f"HTTP{status}")
