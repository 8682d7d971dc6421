"""Retry classification, Retry-After parsing and the backoff bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from vcn.eventbridge.retry import backoff_seconds, is_retryable_status, parse_retry_after


@pytest.mark.parametrize("status", [401, 407, 409, 429, 500, 502, 503, 504, 599])
def test_documented_statuses_are_retried(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [100, 301, 302, 400, 403, 404, 408, 413, 422])
def test_other_statuses_are_final(status: int) -> None:
    assert not is_retryable_status(status)


def test_retry_after_accepts_seconds_negative_values_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("-1") == -1.0
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:30 GMT", now) == 30.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter() -> None:
    rng = random.Random(7)
    for retry in range(12):
        delay = backoff_seconds(retry, base=0.5, cap=20.0, rng=rng)
        assert 0.0 <= delay <= min(20.0, 0.5 * 2**retry)
    assert {round(backoff_seconds(3, 1.0, 60.0, rng), 6) for _ in range(20)} != {0.0}
