"""What the HTTP API handlers share: the caller's verified claims, JSON bodies in, JSON responses out, and the
answers to a request the caller got wrong (400 naming each bad field, 401 without a usable token, 404 naming
the routes there are), all counted as RequestsRejected.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from vehicle_config.channels import Grants
from vehicle_config.fields import InvalidFields


class Unauthenticated(Exception):
    """No usable token subject: the JWT authorizer did not run, or the token names no valid user."""


def verified_claims(event: APIGatewayProxyEventV2) -> dict[str, Any]:
    """The claims the HTTP API's JWT authorizer verified; `Unauthenticated` when they name no subject."""
    request_context = event.raw_event.get("requestContext") or {}
    claims: dict[str, Any] = ((request_context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    if not claims.get("sub"):
        raise Unauthenticated(
            "No token subject: send a bearer token issued by the configured identity provider"
        )
    return claims


def token_grants(event: APIGatewayProxyEventV2) -> Grants:
    """The caller's grants from the verified claims (list claims arrive as "[DE FR]"); a subject that cannot
    name a user is a 401, as a missing one is."""
    try:
        return Grants.from_http_api_claims(verified_claims(event))
    except InvalidFields as invalid:
        raise Unauthenticated(f"The token's subject cannot name a user: {invalid}") from None


def json_body(event: APIGatewayProxyEventV2, *, when_empty: str) -> Any:
    """The request's parsed JSON body; an empty body is a 400 saying `when_empty`, and so is a body that is
    not UTF-8, not JSON, or nested deeper than a parser can follow: the caller's mistake, never a crash."""
    try:
        raw = event.decoded_body
    except (UnicodeDecodeError, binascii.Error):
        raise InvalidFields.single("body", "is not UTF-8 text; send a JSON object") from None
    if not raw:
        raise InvalidFields.single("body", when_empty)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidFields.single("body", f"is not valid JSON ({error})") from None
    except RecursionError:
        raise InvalidFields.single("body", "is nested too deeply; send a JSON object") from None


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def answer_rejected_requests(
    app: APIGatewayHttpResolver, metrics: Metrics, no_route: Callable[[APIGatewayProxyEventV2], str]
) -> None:
    """400 for invalid fields, 401 without a token subject, 404 with the message `no_route` gives."""

    @app.not_found
    def route_not_found(error: Exception) -> Response:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        return json_response(404, {"message": no_route(app.current_event)})

    @app.exception_handler(InvalidFields)
    def invalid_fields(error: InvalidFields) -> Response:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        names = ", ".join(e.field for e in error.errors)
        body = {"message": f"Invalid request: fix {names}", "errors": [e.to_dict() for e in error.errors]}
        return json_response(400, body)

    @app.exception_handler(Unauthenticated)
    def unauthenticated(error: Unauthenticated) -> Response:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        return json_response(401, {"message": str(error)})
