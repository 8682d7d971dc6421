"""History recorder: the OnPublish handler of the markets, users and plants namespaces (DIRECT, EVENT mode).

AppSync invokes it asynchronously and broadcasts every publish unchanged, so recording is off the delivery
path. It records each event with `vehicle_config.history.recording`; any failure raises, so Lambda retries
the invocation and finally hands it to the on-failure destination. The reply (the events, unchanged) is
what a REQUEST_RESPONSE integration would broadcast; in EVENT mode AppSync ignores it.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from adapters.dynamodb_history import dynamodb_history
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import AppSyncEventsResolver
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.history.ports import NotificationHistory
from vehicle_config.history.recording import (
    PublishedEvent,
    RecordingOutcome,
    UnrecordableNotifications,
    record_published,
)

from handlers.settings import HistoryRecorderSettings, read_settings

settings = read_settings(HistoryRecorderSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched when the store is made: importing it costs ~120 ms
metrics = Metrics()
app = AppSyncEventsResolver()
# Powertools turns a route's exception into an error reply; the handler re-raises it from here instead.
_failures: list[Exception] = []


@functools.cache
def history() -> NotificationHistory:
    tracer.patch(["botocore"])
    return dynamodb_history(settings.table_name)


def now_micros() -> int:
    return time.time_ns() // 1000


@app.on_publish("/markets/*", aggregate=True)
@app.on_publish("/users/*", aggregate=True)
@app.on_publish("/plants/*", aggregate=True)
@app.on_publish("/*", aggregate=True)  # any other namespace: record_published refuses it, loudly
def record(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    channel = app.current_event.info.channel_path
    events = [PublishedEvent(str(event.get("id")), event.get("payload")) for event in payload]
    try:
        outcome = record_published(channel, events, history(), now_micros, settings.retention_days)
        _count(outcome)
        if outcome.unrecordable:
            raise UnrecordableNotifications(outcome)
    except Exception as error:
        metrics.add_metric(name="HistoryRecordingFailures", unit=MetricUnit.Count, value=1)
        logger.exception("recording failed; the invocation fails so Lambda retries it", channel=channel)
        _failures.append(error)
        raise
    return payload  # broadcast unchanged


@logger.inject_lambda_context(log_event=False)  # request headers carry the publisher's authorization
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    _failures.clear()
    reply = app.resolve(event, context)
    if _failures:
        raise _failures.pop()
    return reply


def _count(outcome: RecordingOutcome) -> None:
    metrics.add_metric(name="NotificationsRecorded", unit=MetricUnit.Count, value=len(outcome.recorded))
    if outcome.duplicates:
        metrics.add_metric(name="DuplicatesSkipped", unit=MetricUnit.Count, value=len(outcome.duplicates))
    if outcome.unrecordable:
        metrics.add_metric(
            name="NotificationsUnrecordable", unit=MetricUnit.Count, value=len(outcome.unrecordable)
        )
    logger.info(
        "publish recorded",
        channel=outcome.channel,
        recorded=len(outcome.recorded),
        duplicates=outcome.duplicates,
        unrecordable=[u.event_id for u in outcome.unrecordable],
    )
