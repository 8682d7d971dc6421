"""Static files of the app profile's web root (e.g. a console) on the API port; a plain page without one."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from aiohttp import web

PLACEHOLDER = """<!doctype html>
<html><head><meta charset="utf-8"><title>local cloud</title></head>
<body><h1>Local cloud is running</h1>
<p>No web root with an <code>index.html</code> is served (the app profile names one).</p>
<ul><li><a href="/config.json">/config.json</a></li><li><a href="/dev/users">/dev/users</a></li>
<li><a href="/.well-known/jwks.json">/.well-known/jwks.json</a></li></ul></body></html>
"""


def static_response(web_root: Path | None, path: str) -> web.StreamResponse | None:
    """The file under `web_root` for a GET of `path`, `index.html` for folders; None when there is none."""
    if web_root is None or not web_root.is_dir():
        return web.Response(text=PLACEHOLDER, content_type="text/html") if path in ("", "/") else None
    root = web_root.resolve()
    try:
        candidate = (root / path.lstrip("/")).resolve()
        if candidate != root and root not in candidate.parents:
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        found = candidate.is_file()
    except (OSError, ValueError):  # a name the file system cannot hold (too long, NUL): no such file
        return None
    if not found:
        if path in ("", "/"):
            return web.Response(text=PLACEHOLDER, content_type="text/html")
        return None
    content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
    return web.FileResponse(candidate, headers={"content-type": content_type, "cache-control": "no-cache"})
