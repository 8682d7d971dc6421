"""Notification history API (HTTP API behind the JWT authorizer): read history, keep read state.

GET  /notifications?channel=<channel or /prefix/*>&after=<cursor>&limit=<1..100>&sinceSeconds=<n>
                                      -> 200 {"items": [...], "nextCursor": "<cursor>" | null}
POST /notifications/read              {"eventIds": [...]} | {"upTo": "<cursor>"}
                                      -> 200 {"marked": n, "readUpTo": "<cursor>" | null}
GET  /notifications/unread-count?channel=<channel or /prefix/*>
                                      -> 200 {"channel", "unread", "capped", "readUpTo"}
400 names each bad parameter, 401 without a usable token, 403 names the channel the token does not grant,
503 when the history table does not answer.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from adapters.dynamodb_history import DynamoDbHistory
from adapters.dynamodb_read_state import DynamoDbReadState
from adapters.history_table import HistoryTable, HistoryUnavailable, dynamodb_client
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.channels import Grants
from vehicle_config.fields import InvalidFields
from vehicle_config.history.ports import NotificationHistory, ReadState
from vehicle_config.history.read_state import mark_read, parse_mark_read, unread_count
from vehicle_config.history.reading import ChannelForbidden, parse_query, read_page
from vehicle_config.history.selectors import parse_selector

from handlers.settings import HistoryApiSettings, read_settings

settings = read_settings(HistoryApiSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched when the store is made: importing it costs ~120 ms
metrics = Metrics()
app = APIGatewayHttpResolver()


class Unauthenticated(Exception):
    """No usable token subject: the JWT authorizer did not run, or the token names no valid user."""


@functools.cache
def table() -> HistoryTable:
    tracer.patch(["botocore"])  # DynamoDB is the only I/O to trace; patched before the client exists
    return HistoryTable(settings.table_name, dynamodb_client())


def history() -> NotificationHistory:
    return DynamoDbHistory(table())


def read_state() -> ReadState:
    return DynamoDbReadState(table())


def now_micros() -> int:
    return time.time_ns() // 1000


@app.get("/notifications")
@tracer.capture_method
def list_notifications() -> Response:
    grants = _caller()
    query = parse_query(_param("channel"), _param("after"), _param("limit"), _param("sinceSeconds"))
    page = read_page(grants, query, history(), now_micros(), settings.retention_days)
    metrics.add_metric(name="HistoryPagesRead", unit=MetricUnit.Count, value=1)
    logger.info("history read", channel=query.selector.text, items=len(page.items), userId=grants.user_id)
    return _json(200, page.to_dict())


@app.post("/notifications/read")
@tracer.capture_method
def mark_notifications_read() -> Response:
    grants = _caller()
    now = now_micros()
    request = parse_mark_read(_json_body(), now)
    answer = mark_read(grants, request, read_state(), now, settings.retention_days)
    metrics.add_metric(name="ReadMarksSaved", unit=MetricUnit.Count, value=1)
    logger.info(
        "read state saved", userId=grants.user_id, marked=answer["marked"], upTo=request.up_to is not None
    )
    return _json(200, answer)


@app.get("/notifications/unread-count")
@tracer.capture_method
def count_unread() -> Response:
    grants = _caller()
    selector = parse_selector("channel", _param("channel"))
    count = unread_count(grants, selector, history(), read_state(), now_micros(), settings.retention_days)
    metrics.add_metric(name="UnreadCountsRead", unit=MetricUnit.Count, value=1)
    return _json(200, count.to_dict())


@app.not_found
def route_not_found(error: Exception) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    return _json(
        404,
        {
            "message": f"No route for {app.current_event.http_method} {app.current_event.path}; use "
            "GET /notifications, POST /notifications/read or GET /notifications/unread-count"
        },
    )


@app.exception_handler(InvalidFields)
def invalid_fields(error: InvalidFields) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    names = ", ".join(e.field for e in error.errors)
    return _json(
        400, {"message": f"Invalid request: fix {names}", "errors": [e.to_dict() for e in error.errors]}
    )


@app.exception_handler(ChannelForbidden)
def channel_forbidden(error: ChannelForbidden) -> Response:
    metrics.add_metric(name="RequestsForbidden", unit=MetricUnit.Count, value=1)
    logger.info("history read forbidden", channel=error.channel)
    return _json(403, {"message": str(error), "channel": error.channel})


@app.exception_handler(Unauthenticated)
def unauthenticated(error: Unauthenticated) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    return _json(401, {"message": str(error)})


@app.exception_handler(HistoryUnavailable)
def history_unavailable(error: HistoryUnavailable) -> Response:
    metrics.add_metric(name="HistoryUnavailable", unit=MetricUnit.Count, value=1)
    logger.error("history table unavailable", detail=str(error))
    return _json(503, {"message": "The notification history is unavailable right now; retry the request"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def _caller() -> Grants:
    """The caller's grants from the claims the JWT authorizer verified (list claims arrive as "[DE FR]")."""
    request_context = app.current_event.raw_event.get("requestContext") or {}
    claims = ((request_context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    if not claims.get("sub"):
        raise Unauthenticated(
            "No token subject: send a bearer token issued by the configured identity provider"
        )
    try:
        return Grants.from_http_api_claims(claims)
    except InvalidFields as invalid:
        raise Unauthenticated(f"The token's subject cannot name a user: {invalid}") from None


def _param(name: str) -> str | None:
    return app.current_event.get_query_string_value(name)


def _json_body() -> Any:
    raw = app.current_event.decoded_body
    if not raw:
        raise InvalidFields.single("body", 'is empty; send {"eventIds": [...]} or {"upTo": "<cursor>"}')
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidFields.single("body", f"is not valid JSON ({error})") from None


def _json(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))
