"""Configuration API (HTTP API behind a JWT authorizer): validate one configuration now, or queue a batch.

POST /configurations/validate  -> 200 result; emits ConfigurationValidated + SpecAdjustmentRecommended
POST /configurations/batches   -> 202 {batchId, count}; emits one ValidationRequested per configuration
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from adapters.event_publisher import EventPublisher, PublishError, eventbridge_publisher_from_environment
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.events import validation_outcome_events, validation_requested
from vehicle_config.fields import InvalidFields, channel_segment
from vehicle_config.rules import validate
from vehicle_config.submissions import InvalidBatch, parse_batch, parse_submission

logger = Logger()
tracer = Tracer(patch_modules=["botocore"])  # PutEvents is its only I/O; patching less starts faster
metrics = Metrics()
app = APIGatewayHttpResolver()


class Unauthenticated(Exception):
    """The request carries no token subject (the HTTP API's JWT authorizer did not run)."""


@functools.cache
def event_publisher() -> EventPublisher:
    return eventbridge_publisher_from_environment()


@app.post("/configurations/validate")
@tracer.capture_method
def validate_configuration() -> Response:
    submitted_by = _caller()
    submission = parse_submission(_json_body())
    result = validate(submission.configuration)
    events = validation_outcome_events(submission.configuration, result, submitted_by, submission.request_id)
    event_publisher().publish(events)
    metrics.add_metric(name="ConfigurationsValidated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name="RecommendationsEmitted", unit=MetricUnit.Count, value=len(result.recommendations)
    )
    logger.info("configuration validated", configurationId=result.configuration_id, outcome=result.outcome)
    return _json(200, result.to_dict())


@app.post("/configurations/batches")
@tracer.capture_method
def submit_batch() -> Response:
    submitted_by = _caller()
    submissions = parse_batch(_json_body())
    batch_id = str(uuid.uuid4())
    events = [
        validation_requested(s.configuration, batch_id, submitted_by, s.request_id) for s in submissions
    ]
    event_publisher().publish(events)
    metrics.add_metric(name="ValidationsRequested", unit=MetricUnit.Count, value=len(events))
    logger.info("batch queued", batchId=batch_id, count=len(events))
    return _json(202, {"batchId": batch_id, "count": len(events)})


@app.not_found
def route_not_found(error: Exception) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    path = app.current_event.path
    return _json(
        404, {"message": f"No route for {path}; use POST /configurations/validate or /configurations/batches"}
    )


@app.exception_handler(InvalidFields)
def invalid_fields(error: InvalidFields) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    names = ", ".join(e.field for e in error.errors)
    body = {"message": f"Invalid request: fix {names}", "errors": [e.to_dict() for e in error.errors]}
    return _json(400, body)


@app.exception_handler(InvalidBatch)
def invalid_batch(error: InvalidBatch) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    body = {
        "message": f"{len(error.items)} of {error.size} configurations are invalid; nothing was queued",
        "items": [item.to_dict() for item in error.items],
    }
    return _json(400, body)


@app.exception_handler(Unauthenticated)
def unauthenticated(error: Unauthenticated) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    return _json(401, {"message": str(error)})


@app.exception_handler(PublishError)
def publish_failed(error: PublishError) -> Response:
    metrics.add_metric(name="PublishFailures", unit=MetricUnit.Count, value=1)
    logger.error("publishing to EventBridge failed", failures=[f.error_code for f in error.failed])
    return _json(502, {"message": "Events could not be published; retry the request", "detail": str(error)})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def _caller() -> str:
    """The token subject put there by the HTTP API's JWT authorizer; it becomes `submittedBy`."""
    request_context = app.current_event.raw_event.get("requestContext") or {}
    claims = ((request_context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        raise Unauthenticated(
            "No token subject: send a bearer token issued by the configured identity provider"
        )
    return channel_segment("submittedBy", subject)


def _json_body() -> Any:
    raw = app.current_event.decoded_body
    if not raw:
        raise InvalidFields.single("body", "is empty; send a JSON object")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidFields.single("body", f"is not valid JSON ({error})") from None


def _json(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))
