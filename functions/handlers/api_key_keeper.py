"""API key keeper (daily schedule): extends every key of the Events API and reports the days each has left.

The EventBridge connection publishes with an AppSync API key; one that lapses makes every notification fail
with 401 and land in the dead-letter queue. Each run moves every key to the longest expiry AWS allows and
emits `ApiKeyDaysLeft` per key (an alarm fires under 30 days, or when the reports stop); a key it could not
extend fails the run, so the function's Errors alarm fires too.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from adapters.appsync_api_keys import appsync_api_keys
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from key_keeper.lifetime import ApiKeys, keep_keys

from handlers.settings import ApiKeyKeeperSettings, read_settings

settings = read_settings(ApiKeyKeeperSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
tracer = Tracer()  # traces the AppSync control-plane calls
metrics = Metrics()
metrics.set_default_dimensions(ApiId=settings.events_api_id)  # two stacks in one account stay apart


class KeysNotKept(RuntimeError):
    """At least one key could not be extended, or the API has none: the run fails so its alarm fires."""


@functools.cache
def api_keys() -> ApiKeys:
    return appsync_api_keys(settings.events_api_id)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kept = keep_keys(api_keys(), time.time())
    for outcome in kept:
        metrics.add_metric(name="ApiKeyDaysLeft", unit=MetricUnit.Count, value=outcome.days_left)
        logger.info(
            "API key kept" if outcome.failure is None else "API key NOT extended",
            key=outcome.key.hint,
            expires=outcome.key.expires,
            daysLeft=outcome.days_left,
            extended=outcome.extended,
            failure=outcome.failure,
        )
    failed = [outcome for outcome in kept if outcome.failure is not None]
    if not kept:
        raise KeysNotKept(f"API {settings.events_api_id} has no API key; the EventBridge connection needs it")
    if failed:
        raise KeysNotKept(
            f"{len(failed)} of {len(kept)} API keys not extended: "
            + "; ".join(f"{o.key.hint}: {o.failure} ({o.days_left} days left)" for o in failed)
        )
    return {"keys": [{"key": o.key.hint, "expires": o.key.expires, "daysLeft": o.days_left} for o in kept]}
