"""API Gateway payload format 2.0: the event a function receives, and how its result becomes HTTP."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml")
_TEXT_TYPES_EXACT = ("application/x-www-form-urlencoded",)


@dataclass(frozen=True)
class IncomingRequest:
    """What the server read from the wire, independent of the HTTP framework."""

    method: str
    raw_path: str
    raw_query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _is_text(content_type: str) -> bool:
    lowered = content_type.lower()
    return any(kind in lowered for kind in _TEXT_TYPES) or lowered.startswith(_TEXT_TYPES_EXACT)


def _request_id() -> str:
    # API Gateway request ids look like `JKJaXmPLvHcESHA=`: 10 random bytes in base64.
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode("ascii")


def build_event(
    request: IncomingRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str],
    account_id: str,
    api_id: str,
    authorizer: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The payload format 2.0 event for one request (keys that would be empty are left out, as in AWS)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query_string, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    domain = headers.get("host", "localhost")
    path = request.raw_path
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": request.raw_query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    context.update(
        {
            "domainName": domain,
            "domainPrefix": domain.split(".")[0].split(":")[0],
            "http": {
                "method": request.method.upper(),
                "path": path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": _request_id(),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        }
    )
    event["requestContext"] = context
    if request.body:
        if _is_text(headers.get("content-type", "text/plain")):
            try:
                event["body"] = request.body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(request.body).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    return event


def message(status: int, text: str) -> ProxyResponse:
    """An API Gateway generated response such as 401 `{"message":"Unauthorized"}`."""
    body = json.dumps({"message": text}).encode()
    return ProxyResponse(status, [("content-type", "application/json")], body)


class MalformedResult(ValueError):
    """The function returned a structured response API Gateway cannot turn into HTTP (it answers 500)."""


def map_result(result: Any) -> ProxyResponse:
    """Turn a function result into the HTTP response API Gateway sends for payload format 2.0.

    A dict with `statusCode` is a structured response; anything else (a dict without it, a string, a list)
    is sent as a 200 JSON body, strings as they are. Raises MalformedResult for what cannot go on the wire.
    """
    try:
        return _map_result(result)
    except UnicodeEncodeError as exc:
        raise MalformedResult(f"the response holds text UTF-8 cannot encode ({exc.reason})") from None


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\r\n\0]")


def _header(name: Any, value: Any) -> tuple[str, str]:
    text_name, text_value = str(name), render_header(value)
    if not _HEADER_NAME.fullmatch(text_name):
        raise MalformedResult(f"header name {text_name!r} is not an HTTP token")
    if _HEADER_VALUE_FORBIDDEN.search(text_value):
        raise MalformedResult(f"header {text_name} holds a line break or NUL")
    text_value.encode("utf-8")  # a lone surrogate raises here, not while the response is being sent
    return text_name, text_value


def _map_result(result: Any) -> ProxyResponse:
    if isinstance(result, dict) and "statusCode" in result:
        status = result["statusCode"]
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise MalformedResult(f"statusCode {result['statusCode']!r} is not an HTTP status")
        headers: list[tuple[str, str]] = []
        raw_headers = result.get("headers") or {}
        if not isinstance(raw_headers, dict):
            raise MalformedResult("headers must be an object")
        for name, value in raw_headers.items():
            headers.append(_header(name, value))
        cookies = result.get("cookies") or []
        if not isinstance(cookies, list):
            raise MalformedResult("cookies must be a list of strings")
        headers.extend(_header("set-cookie", cookie) for cookie in cookies)
        body = result.get("body")
        if body is None:
            payload = b""
        elif result.get("isBase64Encoded"):
            try:
                payload = base64.b64decode(str(body), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise MalformedResult("isBase64Encoded is true but body is not base64") from exc
        else:
            payload = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        if not any(name.lower() == "content-type" for name, _ in headers) and payload:
            headers.append(("content-type", "application/json"))
        return ProxyResponse(status, headers, payload)
    body_text = result if isinstance(result, str) else json.dumps(result)
    return ProxyResponse(200, [("content-type", "application/json")], body_text.encode("utf-8"))


def render_header(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
