"""Configuration API (HTTP API behind a JWT authorizer): validate one configuration now, or queue a batch.

Every route accepts configurations only for markets the caller's token grants (403 naming the others).

POST /configurations/validate  -> 200 result; emits ConfigurationValidated + SpecAdjustmentRecommended
POST /configurations/batches   -> 202 {batchId, count}; emits one ValidationRequested per configuration
POST /validations?wait=<s>     -> subscribes to /requests/<requestId>, THEN emits ValidationRequested, waits:
                                  200 {requestId, result} when the worker's reply arrives within the wait,
                                  202 {requestId, channel} otherwise (the reply still arrives there);
                                  400 for a wait outside 0.1..25 s; 503 if the channel refuses (nothing sent)
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Any

from adapters.event_publisher import PublishError, eventbridge_publisher
from adapters.request_reply import ReplyChannelUnavailable, ReplySubscriber, request_reply
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.announcements import validate_and_announce
from vehicle_config.channels import Grants
from vehicle_config.events import validation_requested
from vehicle_config.fields import InvalidFields, channel_segment
from vehicle_config.ports import EventPublisher
from vehicle_config.replies import is_validation_reply, new_request_id, parse_wait, reply_channel
from vehicle_config.submission_access import MarketsNotGranted, check_markets_granted
from vehicle_config.submissions import InvalidBatch, parse_batch, parse_submission

from handlers.http_api import answer_rejected_requests, json_body, json_response, verified_claims
from handlers.settings import ConfigurationApiSettings, read_settings

settings = read_settings(ConfigurationApiSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched on first publish: importing it costs ~120 ms
metrics = Metrics()
app = APIGatewayHttpResolver()
# What a request for an unknown route is told to use instead.
ROUTES = "POST /configurations/validate, /configurations/batches or /validations"

# Time the function keeps after the wait to answer (the function timeout must exceed the longest wait).
RESPONSE_HEADROOM_SECONDS = 2.0


@functools.cache
def event_publisher() -> EventPublisher:
    tracer.patch(["botocore"])  # PutEvents is the only I/O to trace; patched before the client exists
    return eventbridge_publisher(settings.event_bus_name)


@functools.cache
def reply_subscriber() -> ReplySubscriber:
    from adapters.appsync_replies import appsync_reply_subscriber  # the events client loads only if needed

    return appsync_reply_subscriber(
        settings.events_http_url, settings.events_realtime_url, region=settings.region
    )


@app.post("/configurations/validate")
@tracer.capture_method
def validate_configuration() -> Response:
    caller = _caller()
    submission = parse_submission(_json_body())
    check_markets_granted(caller, [submission.configuration])
    result = validate_and_announce(
        submission.configuration, caller.user_id, event_publisher(), request_id=submission.request_id
    ).result
    metrics.add_metric(name="ConfigurationsValidated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name="RecommendationsEmitted", unit=MetricUnit.Count, value=len(result.recommendations)
    )
    logger.info("configuration validated", configurationId=result.configuration_id, outcome=result.outcome)
    return json_response(200, result.to_dict())


@app.post("/configurations/batches")
@tracer.capture_method
def submit_batch() -> Response:
    caller = _caller()
    submissions = parse_batch(_json_body())
    check_markets_granted(caller, [s.configuration for s in submissions])
    batch_id = str(uuid.uuid4())
    events = [
        validation_requested(s.configuration, batch_id, caller.user_id, s.request_id) for s in submissions
    ]
    event_publisher().publish(events)
    metrics.add_metric(name="ValidationsRequested", unit=MetricUnit.Count, value=len(events))
    logger.info("batch queued", batchId=batch_id, count=len(events))
    return json_response(202, {"batchId": batch_id, "count": len(events)})


@app.post("/validations")
@tracer.capture_method
def request_validation() -> Response:
    caller = _caller()
    wait = parse_wait(app.current_event.get_query_string_value("wait"))
    submission = parse_submission(_json_body())
    if submission.request_id is not None:
        raise InvalidFields.single("requestId", "is chosen by the service on /validations; remove it")
    configuration = submission.configuration
    check_markets_granted(caller, [configuration])
    request_id = new_request_id()
    channel = reply_channel(request_id)
    # A request is a batch of one: its batch id is the request id.
    requested = validation_requested(configuration, request_id, caller.user_id, request_id)
    outcome = asyncio.run(
        request_reply(
            reply_subscriber(),
            channel,
            lambda: event_publisher().publish([requested]),
            lambda reply: is_validation_reply(reply, request_id, configuration.configuration_id),
            min(wait, _time_left_seconds()),
        )
    )
    ids = {"requestId": request_id, "configurationId": configuration.configuration_id}
    reply = outcome.reply
    if reply is None:
        metrics.add_metric(name="ValidationRepliesPending", unit=MetricUnit.Count, value=1)
        logger.info(
            "no reply within the wait",
            wait=wait,
            ignored=outcome.ignored,
            subscribed=outcome.subscribed,
            extra=ids,
        )
        message = f"No result within {wait:g} s; it will be published on {channel} (IAM subscribers)"
        return json_response(
            202, {"requestId": request_id, "status": "PENDING", "channel": channel, "message": message}
        )
    metrics.add_metric(name="ValidationRepliesReceived", unit=MetricUnit.Count, value=1)
    logger.info("validation answered", outcome=reply["outcome"], ignored=outcome.ignored, extra=ids)
    return json_response(200, {"requestId": request_id, "status": "COMPLETED", "result": reply})


# The answers every HTTP API gives to a bad request: 400 invalid fields, 401 no token subject, 404 no route.
answer_rejected_requests(app, metrics, lambda event: f"No route for {event.path}; use {ROUTES}")


@app.exception_handler(InvalidBatch)
def invalid_batch(error: InvalidBatch) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    body = {
        "message": f"{len(error.items)} of {error.size} configurations are invalid; nothing was queued",
        "items": [item.to_dict() for item in error.items],
    }
    return json_response(400, body)


@app.exception_handler(MarketsNotGranted)
def markets_not_granted(error: MarketsNotGranted) -> Response:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    logger.warning("configurations for markets not granted", markets=error.markets, items=error.items)
    body: dict[str, Any] = {
        "message": str(error),
        "markets": list(error.markets),
        "granted": list(error.granted),
    }
    if error.size > 1:
        body["items"] = list(error.items)
    return json_response(403, body)


@app.exception_handler(PublishError)
def publish_failed(error: PublishError) -> Response:
    metrics.add_metric(name="PublishFailures", unit=MetricUnit.Count, value=1)
    logger.error("publishing to EventBridge failed", failures=[f.error_code for f in error.failed])
    return json_response(
        502, {"message": "Events could not be published; retry the request", "detail": str(error)}
    )


@app.exception_handler(ReplyChannelUnavailable)
def reply_channel_unavailable(error: ReplyChannelUnavailable) -> Response:
    metrics.add_metric(name="ReplyChannelFailures", unit=MetricUnit.Count, value=1)
    logger.error("reply channel unavailable; nothing was emitted", detail=str(error))
    body = {"message": "The reply channel is unavailable, so nothing was started; retry the request"}
    return json_response(503, body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def _caller() -> Grants:
    """The caller's grants from the claims the HTTP API's JWT authorizer verified; the subject becomes
    `submittedBy`, the markets bound what may be submitted."""
    claims = verified_claims(app.current_event)
    channel_segment("submittedBy", claims["sub"])  # a subject that cannot be a channel segment is a 400 here
    return Grants.from_http_api_claims(claims)


def _time_left_seconds() -> float:
    """How long this invocation may still wait for a reply before it must answer."""
    context = app.lambda_context
    remaining_ms = context.get_remaining_time_in_millis() if context is not None else 30_000
    return max(0.1, remaining_ms / 1000 - RESPONSE_HEADROOM_SECONDS)


def _json_body() -> Any:
    return json_body(app.current_event, when_empty="is empty; send a JSON object")
