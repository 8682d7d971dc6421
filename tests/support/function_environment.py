"""The environment the handler modules read at import, for tests that import them in the test process.

Each handler parses its settings once, at import, so these must be in `os.environ` before the first import.
Endpoints point at a closed port: tests put in their own publisher, subscriber or token verifier.
"""

from __future__ import annotations

import os

UNREACHABLE = "127.0.0.1:9"
FUNCTION_ENVIRONMENT = {
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_SERVICE_NAME": "vehicle-config-notifications",
    "POWERTOOLS_METRICS_NAMESPACE": "VehicleConfigNotifications",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "AWS_DEFAULT_REGION": "us-east-1",
    "EVENT_BUS_NAME": "vehicle-config",
    "EVENTS_HTTP_URL": f"http://{UNREACHABLE}/event",
    "EVENTS_REALTIME_URL": f"ws://{UNREACHABLE}/event/realtime",
    "JWKS_URL": f"http://{UNREACHABLE}/.well-known/jwks.json",
    "TOKEN_ISSUER": "http://127.0.0.1/test-idp",
    "TOKEN_AUDIENCE": "vcn-test",
    "HISTORY_TABLE_NAME": "notification-history",
    "HISTORY_RETENTION_DAYS": "30",
    "EVENTS_API_ID": "testapi123",
    "REJECTED_QUEUE_URL": f"http://{UNREACHABLE}/000000000000/rejected",
}


def use_function_environment() -> None:
    """Set the variables that are not set yet; call it before any handler module is imported."""
    for name, value in FUNCTION_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
