"""Subscribe guard (DIRECT OnSubscribe handler of the markets, users and plants namespaces).

May this user read this channel? Decided by `vehicle_config.channels.may_subscribe` from the grants the
authorizer put into `identity.handlerContext`; a denial raises UnauthorizedException, which AppSync reports
to the client as an unauthorized subscription.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import AppSyncEventsResolver
from aws_lambda_powertools.event_handler.events_appsync.exceptions import UnauthorizedException
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.channels import Grants, may_subscribe

logger = Logger()
tracer = Tracer(auto_patch=False)  # no I/O to trace; skipping patching shortens cold start
metrics = Metrics()
app = AppSyncEventsResolver()


@app.on_subscribe("/*")
def authorize_subscription() -> None:
    channel = app.current_event.info.channel_path
    identity = app.current_event.raw_event.get("identity") or {}
    grants = Grants.from_handler_context(identity.get("handlerContext"))
    if not may_subscribe(grants, channel):
        _denied(channel, grants)
    metrics.add_metric(name="SubscriptionsAllowed", unit=MetricUnit.Count, value=1)
    logger.info("subscription allowed", channel=channel, userId=grants.user_id)


@logger.inject_lambda_context(log_event=False)  # request headers carry the caller's authorization
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    channel = ((event.get("info") or {}).get("channel") or {}).get("path")
    # A path without a leading slash matches no route, and an unrouted subscribe is allowed: deny it here.
    if not isinstance(channel, str) or not channel.startswith("/"):
        _denied(str(channel), Grants.from_handler_context(None))
    return app.resolve(event, context)


def _denied(channel: str, grants: Grants) -> None:
    metrics.add_metric(name="SubscriptionsDenied", unit=MetricUnit.Count, value=1)
    logger.info("subscription denied", channel=channel, userId=grants.user_id)
    raise UnauthorizedException(f"You may not subscribe to {channel}")
