"""A plain HTTP server on 127.0.0.1 (a free port) in a background thread, for code under test that calls
out synchronously (a JWKS fetch, the AWS CLI's PutEvents): every GET or POST gets 200 and what `answer`
returns."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (the handler, for the path and headers; the request body, b"" when there is none) -> the response body
Answer = Callable[[BaseHTTPRequestHandler, bytes], bytes]


class ThreadedHttp:
    """Serves `answer` from a thread until `close()`; `content_type`, when given, is sent with each answer."""

    def __init__(self, answer: Answer, *, content_type: str | None = None) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._respond()

            def do_POST(self) -> None:
                self._respond()

            def _respond(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = answer(self, self.rfile.read(length) if length else b"")
                self.send_response(200)
                if content_type is not None:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # the tests' output stays readable

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serving = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02})
        serving.daemon = True
        serving.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
