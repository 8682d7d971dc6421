"""Publishing over HTTP: `POST <http url>` with `{"channel":..,"events":[..]}` and the auth headers."""

from __future__ import annotations

import json
import ssl
from collections.abc import Sequence
from typing import Any

import aiohttp

from .auth import Auth, canonical_json
from .connection import PublishResult, encode_events, normalize_channel
from .endpoints import Endpoints
from .errors import ConnectionLost, OperationTimeout, PublishError


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
    try:
        async with session.post(
            endpoints.http_url,
            data=body.encode(),
            headers=headers,
            ssl=ssl_context if ssl_context is not None else True,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            text = await response.text()
            status = response.status
    except TimeoutError:
        raise OperationTimeout(
            "OperationTimeout", f"no answer from {endpoints.http_url} within {timeout:g} s"
        ) from None
    except aiohttp.ClientError as exc:
        raise ConnectionLost("ConnectionFailed", f"could not publish to {endpoints.http_url}: {exc}") from exc
    try:
        reply = json.loads(text) if text else {}
    except ValueError:
        reply = {}
    if not isinstance(reply, dict):
        reply = {}
    if 200 <= status < 300:
        return PublishResult.from_reply(reply)
    if not reply.get("errors"):
        raise PublishError(f"HTTP{status}", text[:500], status=status)
    raise PublishError.from_errors(reply["errors"], status=status, fallback=f"HTTP{status}")
