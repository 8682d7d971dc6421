"""One request to moto's DynamoDB handler, called directly rather than through moto's Flask app.

moto's server mode wraps each service's handler in a Flask app: URL routing, a request context and a
response object around a call that, for DynamoDB, is always the same `DynamoHandler.dispatch` on `POST /`.
The engine serves DynamoDB only, so it calls the handler itself, with the request type moto's own server
builds (so moto answers exactly as it does behind its server), and converts a `ClientError` the way moto's
Flask wrapper does. moto also lists the handler class's methods with `inspect.getmembers` on every request
to find the operation; the list never changes, so it is computed once per class.

What this saves (`bench/dynamodb_request_bench.py`, and 1,000 TransactWriteItems in one process): about a
fifth of a request's CPU in the engine.
"""

from __future__ import annotations

import functools
from typing import Any


def dispatch(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any], bytes]:
    """moto's answer to `POST /` with `headers` and `body`: (status, headers, body)."""
    from botocore.exceptions import ClientError
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_server.werkzeug_app import BackendRequest

    request = BackendRequest.from_primitives("POST", "http://localhost/", headers, body)
    try:
        status, reply_headers, content = DynamoHandler.dispatch(
            request, request.raw_url, dict(request.headers)
        )
    except ClientError as exc:  # as moto's Flask wrapper answers it
        return 400, {}, str(exc.response["Error"]["Message"]).encode()
    return int(status), dict(reply_headers), content.encode() if isinstance(content, str) else bytes(content)


def install_method_name_cache() -> None:
    """Make moto look up a handler class's operations once, not with `inspect.getmembers` per request."""
    from moto.core import responses

    listed = responses.method_names_from_class
    if not hasattr(listed, "cache_info"):  # not cached yet (another engine in this process may have)
        responses.method_names_from_class = functools.cache(listed)
