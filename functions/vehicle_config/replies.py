"""Request/reply over the `requests` namespace: the reply channel, the wait a caller may ask for, and which
notification on that channel answers a validation request (anything else there is ignored).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from vehicle_config.fields import InvalidFields, channel_segment, shown
from vehicle_config.notifications import CONFIGURATION_VALIDATED

REQUESTS_NAMESPACE = "requests"
DEFAULT_WAIT_SECONDS = 10.0
MAX_WAIT_SECONDS = 25.0  # HTTP API integrations time out at 30 s; the rest is headroom for the function
# No reply can come sooner: the whole path (subscribe, emit, rule, worker, emit, rule, publish) takes about
# 40 ms at p99 on the local cloud (bench/README.md, request/reply), and longer on AWS.
MIN_WAIT_SECONDS = 0.1


def new_request_id() -> str:
    """A fresh request id: a UUID, which is a valid channel segment and never repeats."""
    return str(uuid.uuid4())


def reply_channel(request_id: str) -> str:
    """`/requests/<requestId>`: where the one reply for a waiting caller is published."""
    return f"/{REQUESTS_NAMESPACE}/{channel_segment('requestId', request_id)}"


def parse_wait(raw: str | None) -> float:
    """The `wait` query parameter in seconds: default 10, 0.1 <= wait <= 25."""
    if raw is None or raw == "":
        return DEFAULT_WAIT_SECONDS
    try:
        wait = float(raw)
    except ValueError:
        wait = float("nan")
    if not MIN_WAIT_SECONDS <= wait <= MAX_WAIT_SECONDS:  # NaN fails this too
        raise InvalidFields.single("wait", _wait_problem(raw, wait))
    return wait


def _wait_problem(raw: str, wait: float) -> str:
    limits = (
        f"must be a number of seconds from {MIN_WAIT_SECONDS:g} to {MAX_WAIT_SECONDS:g}, got {shown(raw)}"
    )
    if 0 < wait < MIN_WAIT_SECONDS:
        return (
            f"{limits}: no reply can arrive in under {MIN_WAIT_SECONDS:g} s. Not to wait at all, "
            "POST /configurations/batches with a requestId and subscribe to /requests/<requestId>"
        )
    return limits


def is_validation_reply(notification: Any, request_id: str, configuration_id: str) -> bool:
    """True for the ConfigurationValidated notification of exactly this request and configuration.

    Foreign replies (another request id, another configuration, another type) and malformed events
    (not a JSON object) are not the answer, whoever published them.
    """
    return (
        isinstance(notification, Mapping)
        and notification.get("type") == CONFIGURATION_VALIDATED
        and notification.get("requestId") == request_id
        and notification.get("configurationId") == configuration_id
        and isinstance(notification.get("eventId"), str)
        and bool(notification.get("eventId"))
    )
