"""Builders for history tests: notifications as the rules deliver them, AppSync publish requests for the
recorder, and HTTP API requests for the history API."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

ANALYST_DE_CLAIMS = {"sub": "analyst-de", "markets": "[DE FR]", "plants": "[WOB ZWI]"}


def notification(market: str = "DE", model_line: str = "VELA", *, event_id: str | None = None) -> dict:
    """A ConfigurationValidated notification with every field it is delivered with, in delivery order."""
    return {
        "type": "ConfigurationValidated",
        "eventId": event_id or str(uuid.uuid4()),
        "time": "2026-11-29T20:00:00Z",
        "priority": "HIGH",
        "configurationId": f"cfg-{model_line.lower()}-{market.lower()}-0001",
        "market": market,
        "modelLine": model_line,
        "plant": "WOB",
        "outcome": "VALID_WITH_WARNINGS",
        "violationCount": 0,
        "warningCount": 2,
        "submittedBy": "analyst-de",
    }


def publish_request(channel: str, payloads: list[Any]) -> dict[str, Any]:
    """What AppSync hands a DIRECT OnPublish handler for one publish."""
    segments = channel.strip("/").split("/")
    return {
        "identity": None,
        "request": {"headers": {"x-api-key": "redacted"}, "domainName": None},
        "info": {
            "channel": {"path": channel, "segments": segments},
            "channelNamespace": {"name": segments[0]},
            "operation": "PUBLISH",
        },
        "stash": {},
        "outErrors": [],
        "events": [{"id": str(uuid.uuid4()), "payload": payload} for payload in payloads],
    }


def http_request(
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: Any = None,
    claims: dict[str, Any] | None = ANALYST_DE_CLAIMS,
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) request as API Gateway passes it on after its JWT authorizer."""
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "k3x9v2m1qa",
        "domainName": "k3x9v2m1qa.execute-api.eu-central-1.amazonaws.com",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.24"},
        "requestId": "Cv3kSgXpliAEMbA=",
        "routeKey": f"{method} {path}",
        "stage": "$default",
        "timeEpoch": 1795386600000,
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"content-type": "application/json"},
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event
