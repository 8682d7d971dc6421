"""Validation worker: the target of the ValidationRequested rule; validates and emits the result events."""

from __future__ import annotations

import functools
from typing import Any

from adapters.event_publisher import eventbridge_publisher
from adapters.fault_injection import FaultInjection
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.announcements import validate_and_announce
from vehicle_config.events import VALIDATION_REQUESTED, parse_validation_requested
from vehicle_config.fields import InvalidFields
from vehicle_config.ports import EventPublisher

from handlers.settings import ValidationWorkerSettings, read_settings

settings = read_settings(ValidationWorkerSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched on first publish: importing it costs ~120 ms
metrics = Metrics()
faults = FaultInjection(settings.fault_injection)  # test-only; off unless a local test cloud enables it


@functools.cache
def event_publisher() -> EventPublisher:
    tracer.patch(["botocore"])  # PutEvents is the only I/O to trace; patched before the client exists
    return eventbridge_publisher(settings.event_bus_name)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    if event.detail_type != VALIDATION_REQUESTED:
        return _rejected(event, [f"detail-type {event.detail_type!r} is not {VALIDATION_REQUESTED}"])
    try:
        request = parse_validation_requested(event.detail)
    except InvalidFields as invalid:
        # Retrying cannot fix a malformed event, so it is logged and dropped instead of raised.
        return _rejected(event, [str(e.to_dict()) for e in invalid.errors])
    faults.apply(request.configuration.configuration_id)
    announced = validate_and_announce(
        request.configuration, request.submitted_by, event_publisher(), request_id=request.request_id
    )
    result = announced.result
    metrics.add_metric(name="ConfigurationsValidated", unit=MetricUnit.Count, value=1)
    logger.info(
        "configuration validated",
        configurationId=result.configuration_id,
        batchId=request.batch_id,
        outcome=result.outcome,
    )
    return {
        "configurationId": result.configuration_id,
        "outcome": result.outcome,
        "eventIds": list(announced.receipt.event_ids),
    }


def _rejected(event: EventBridgeEvent, problems: list[str]) -> dict[str, Any]:
    logger.error("ValidationRequested event rejected", eventId=event.get_id, problems=problems)
    metrics.add_metric(name="ValidationRequestsRejected", unit=MetricUnit.Count, value=1)
    return {"rejected": True, "problems": problems}
