"""Subscribe guard (DIRECT OnSubscribe handler of the markets, users and plants namespaces).

May this user read this channel? Decided by `vehicle_config.channels.may_subscribe` from the grants the
authorizer put into `identity.handlerContext`. A denial is an answer, not a failure: the handler returns
`{"error": "..."}`, which AppSync reports to the client as an unauthorized subscription, so a denied
subscription never counts as a Lambda error (the function's Errors alarm means something broke).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import AppSyncEventsResolver
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.channels import Grants, may_subscribe

logger = Logger()
metrics = Metrics()
app = AppSyncEventsResolver()


class SubscriptionDenied(Exception):
    """The grants do not cover the channel. The resolver turns it into the `{"error": ..}` reply (as any
    exception but its own UnauthorizedException, which it would re-raise as a function error)."""


@app.on_subscribe("/*")
def authorize_subscription() -> None:
    channel = app.current_event.info.channel_path
    identity = app.current_event.raw_event.get("identity") or {}
    grants = Grants.from_handler_context(identity.get("handlerContext"))
    if not may_subscribe(grants, channel):
        raise _denied(channel, grants)
    metrics.add_metric(name="SubscriptionsAllowed", unit=MetricUnit.Count, value=1)
    logger.info("subscription allowed", channel=channel, userId=grants.user_id)


@logger.inject_lambda_context(log_event=False)  # request headers carry the caller's authorization
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    channel = ((event.get("info") or {}).get("channel") or {}).get("path")
    # A path without a leading slash matches no route, and an unrouted subscribe is allowed: deny it here.
    if not isinstance(channel, str) or not channel.startswith("/"):
        denial = _denied(str(channel), Grants.from_handler_context(None))
        return {"error": f"{type(denial).__name__} - {denial}"}
    return app.resolve(event, context)


def _denied(channel: str, grants: Grants) -> SubscriptionDenied:
    metrics.add_metric(name="SubscriptionsDenied", unit=MetricUnit.Count, value=1)
    logger.info("subscription denied", channel=channel, userId=grants.user_id)
    return SubscriptionDenied(f"You may not subscribe to {channel}")
