"""Retry rules of EventBridge targets: which failures are retried, backoff between attempts, RetryPolicy."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_ATTEMPTS = 185
MAX_EVENT_AGE_SECONDS = 86400
MIN_EVENT_AGE_SECONDS = 60
RETRYABLE_STATUSES = frozenset({401, 407, 409, 429})

EXHAUSTED_ATTEMPTS = "MaximumRetryAttempts"
EXHAUSTED_AGE = "MaximumEventAgeInSeconds"


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int = MAX_RETRY_ATTEMPTS
    maximum_event_age_seconds: int = MAX_EVENT_AGE_SECONDS


def is_retryable_status(status: int) -> bool:
    """401, 407, 409, 429 and 5xx are retried; other 4xx, 1xx and 3xx are not."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def backoff_seconds(retry: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter before retry number `retry` (0-based)."""
    ceiling = min(cap, base * (2.0**retry))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); negative means "stop retrying"."""
    if value is None:
        return None
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - (now or datetime.now(UTC))).total_seconds()
