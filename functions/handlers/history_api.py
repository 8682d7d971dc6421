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
import time
from typing import Any

from adapters.dynamodb_history import DynamoDbHistory
from adapters.dynamodb_read_state import DynamoDbReadState
from adapters.history_table import HistoryTable, HistoryUnavailable, dynamodb_client
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.history.ports import NotificationHistory, ReadState
from vehicle_config.history.read_state import mark_read, parse_mark_read, unread_count
from vehicle_config.history.reading import ChannelForbidden, parse_query, read_page
from vehicle_config.history.selectors import parse_selector

from handlers.http_api import answer_rejected_requests, json_body, json_response, token_grants
from handlers.settings import HistoryApiSettings, read_settings

settings = read_settings(HistoryApiSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched when the store is made: importing it costs ~120 ms
metrics = Metrics()
app = APIGatewayHttpResolver()
# What a request for an unknown route is told to use instead.
ROUTES = "GET /notifications, POST /notifications/read or GET /notifications/unread-count"


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
    grants = token_grants(app.current_event)
    query = parse_query(_param("channel"), _param("after"), _param("limit"), _param("sinceSeconds"))
    page = read_page(grants, query, history(), now_micros(), settings.retention_days)
    metrics.add_metric(name="HistoryPagesRead", unit=MetricUnit.Count, value=1)
    logger.info("history read", channel=query.selector.text, items=len(page.items), userId=grants.user_id)
    return json_response(200, page.to_dict())


@app.post("/notifications/read")
@tracer.capture_method
def mark_notifications_read() -> Response:
    grants = token_grants(app.current_event)
    now = now_micros()
    request = parse_mark_read(_json_body(), now)
    answer = mark_read(grants, request, read_state(), now, settings.retention_days)
    metrics.add_metric(name="ReadMarksSaved", unit=MetricUnit.Count, value=1)
    logger.info(
        "read state saved", userId=grants.user_id, marked=answer["marked"], upTo=request.up_to is not None
    )
    return json_response(200, answer)


@app.get("/notifications/unread-count")
@tracer.capture_method
def count_unread() -> Response:
    grants = token_grants(app.current_event)
    selector = parse_selector("channel", _param("channel"))
    count = unread_count(grants, selector, history(), read_state(), now_micros(), settings.retention_days)
    metrics.add_metric(name="UnreadCountsRead", unit=MetricUnit.Count, value=1)
    return json_response(200, count.to_dict())


# The answers every HTTP API gives to a bad request: 400 invalid fields, 401 no token subject, 404 no route.
answer_rejected_requests(
    app, metrics, lambda event: f"No route for {event.http_method} {event.path}; use {ROUTES}"
)


@app.exception_handler(ChannelForbidden)
def channel_forbidden(error: ChannelForbidden) -> Response:
    metrics.add_metric(name="RequestsForbidden", unit=MetricUnit.Count, value=1)
    logger.info("history read forbidden", channel=error.channel)
    return json_response(403, {"message": str(error), "channel": error.channel})


@app.exception_handler(HistoryUnavailable)
def history_unavailable(error: HistoryUnavailable) -> Response:
    metrics.add_metric(name="HistoryUnavailable", unit=MetricUnit.Count, value=1)
    logger.error("history table unavailable", detail=str(error))
    return json_response(
        503, {"message": "The notification history is unavailable right now; retry the request"}
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def _param(name: str) -> str | None:
    return app.current_event.get_query_string_value(name)


def _json_body() -> Any:
    return json_body(
        app.current_event, when_empty='is empty; send {"eventIds": [...]} or {"upTo": "<cursor>"}'
    )
