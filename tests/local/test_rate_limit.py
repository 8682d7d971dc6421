"""The shared token bucket (vcn.rate_limit): refusing over the rate, or waiting for a token."""

from __future__ import annotations

import asyncio

from tests.support.clock import ManualReading
from vcn.rate_limit import TokenBucket


def test_try_acquire_refuses_beyond_the_burst_and_refills_at_the_rate() -> None:
    clock = ManualReading()
    bucket = TokenBucket(2.0, clock=clock)
    assert [bucket.try_acquire() for _ in range(3)] == [True, True, False]
    clock.value += 0.5  # one token back at 2 per second
    assert [bucket.try_acquire() for _ in range(2)] == [True, False]
    clock.value += 60  # refilling stops at the burst
    assert [bucket.try_acquire() for _ in range(3)] == [True, True, False]


def test_a_burst_below_one_token_refuses_everything() -> None:
    bucket = TokenBucket(0.5, capacity=0.5, clock=ManualReading())
    assert not bucket.try_acquire()


def test_acquire_waits_beyond_the_burst_and_says_so() -> None:
    bucket = TokenBucket(50.0, capacity=1.0)

    async def take_two() -> list[bool]:
        return [await bucket.acquire(), await bucket.acquire()]

    assert asyncio.run(take_two()) == [False, True]
