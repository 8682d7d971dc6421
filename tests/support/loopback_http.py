"""aiohttp apps served on 127.0.0.1 for tests, each on a free port; `runner.cleanup()` stops one."""

from __future__ import annotations

import ssl
from typing import Any

from aiohttp import web


async def serve_on_loopback(
    app: web.Application, *, ssl_context: ssl.SSLContext | None = None, **runner_options: Any
) -> tuple[web.AppRunner, int]:
    """Start `app` (over TLS with `ssl_context`); its runner and the port it took."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context).start()
    return runner, runner.addresses[0][1]
