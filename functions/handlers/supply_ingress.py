"""Supply ingress: the target of SupplyIngressRule; checks what a supply system put before anyone is notified.

The logic is `vehicle_config.supply_ingress.admit`. An admitted event goes back on the bus as its canonical
event (source `vehicle-config.supply.checked`, the only supply source the notification rule matches), in one
PutEvents; an entry EventBridge still fails after the publisher's retries raises, so Lambda retries the
invocation and then keeps it in the function's dead-letter queue. A refused event is sent, with every reason,
to the rejected queue an alarm watches: nothing is dropped in silence.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from adapters.event_publisher import eventbridge_publisher
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.ports import EventPublisher
from vehicle_config.supply_ingress import Admitted, admit_event

from handlers.settings import SupplyIngressSettings, read_settings

settings = read_settings(SupplyIngressSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched when the first client is made
metrics = Metrics()


@functools.cache
def event_publisher() -> EventPublisher:
    tracer.patch(["botocore"])
    return eventbridge_publisher(settings.event_bus_name)


@functools.cache
def rejected_queue() -> Any:
    import boto3  # imported here: only a refusal needs SQS

    tracer.patch(["botocore"])
    return boto3.client("sqs")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = admit_event(event)
    if isinstance(outcome, Admitted):
        receipt = event_publisher().publish([outcome.event])  # raises when EventBridge keeps failing it
        metrics.add_metric(name="SupplyEventsAdmitted", unit=MetricUnit.Count, value=1)
        logger.info("supply event admitted", eventId=event.get("id"), checkedEventIds=receipt.event_ids)
        return {"admitted": True, "eventIds": list(receipt.event_ids)}
    reasons = list(outcome.reasons)
    body = {"rejectedBy": context.function_name, "reasons": reasons, "event": event}
    rejected_queue().send_message(QueueUrl=settings.rejected_queue_url, MessageBody=json.dumps(body))
    metrics.add_metric(name="SupplyEventsRefused", unit=MetricUnit.Count, value=1)
    logger.warning("supply event refused", eventId=event.get("id"), reasons=reasons)
    return {"admitted": False, "reasons": reasons}
