"""AppSync Events AWS_LAMBDA authorizer: who is this? Verifies the bearer token and returns its grants.

The answer's handlerContext (userId, markets, plants as comma-joined strings) is what the subscribe guard
decides on. Every failure is a plain `{"isAuthorized": false}`; the reason is logged, the token never is.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from adapters.token_verifier import JwksTokenVerifier, TokenRejected, TokenVerifier
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from vehicle_config.channels import Grants
from vehicle_config.fields import InvalidFields

from handlers.settings import AuthorizerSettings, read_settings

MAX_TTL_SECONDS = 300
BEARER_PREFIX = "bearer "

settings = read_settings(AuthorizerSettings)  # once, at cold start: a bad variable fails init
logger = Logger()
# No Powertools Tracer: the X-Ray SDK brings botocore, tripling the package that every connect cold-starts.
# Lambda's active tracing still records each invocation (without a subsegment for the JWKS fetch).
metrics = Metrics()


@functools.cache
def token_verifier() -> TokenVerifier:
    """One verifier per process, so its JWKS cache survives across invocations."""
    return JwksTokenVerifier(
        settings.jwks_url,
        settings.token_issuer,
        settings.token_audience,
        refresh_cooldown_seconds=settings.jwks_refresh_cooldown_seconds,
    )


@logger.inject_lambda_context(log_event=False)  # the event holds the token: never log it, whatever the env
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    operation = (event.get("requestContext") or {}).get("operation")
    token = bearer_token(event.get("authorizationToken"))
    if token is None:
        return _deny("no authorization token", operation)
    try:
        verified = token_verifier().verify(token)
        grants = Grants.from_claims(verified.claims)
    except TokenRejected as rejected:
        return _deny(rejected.reason, operation)
    except InvalidFields as invalid:
        return _deny(f"token claims unusable: {invalid}", operation)
    except Exception:  # an authorizer must answer, never fail open or crash: log and deny
        logger.exception("authorizer failed")
        return _deny("internal error", operation)
    ttl = min(MAX_TTL_SECONDS, verified.expires_at - int(time.time()))
    if ttl <= 0:
        return _deny("token expires now", operation)
    metrics.add_metric(name="TokensAccepted", unit=MetricUnit.Count, value=1)
    logger.info("token accepted", userId=grants.user_id, operation=operation, ttl=ttl)
    return {"isAuthorized": True, "handlerContext": grants.to_handler_context(), "ttlOverride": ttl}


def bearer_token(value: Any) -> str | None:
    """The raw JWT from `Bearer <jwt>` or `<jwt>`; None when absent."""
    if not isinstance(value, str):
        return None
    token = value.strip()
    if token[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX:
        token = token[len(BEARER_PREFIX) :].strip()
    return token or None


def _deny(reason: str, operation: Any) -> dict[str, Any]:
    metrics.add_metric(name="TokensRejected", unit=MetricUnit.Count, value=1)
    logger.warning("token rejected", reason=reason, operation=operation)
    return {"isAuthorized": False}
