"""Subscribe guard as a decision table through the real handler, with AppSync DIRECT subscribe events: the
domain rule's table (tests/support/subscriptions.py), and what only the handler sees."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from handlers import subscribe_guard

from tests.support.lambda_functions import FakeLambdaContext, load_invoke_event
from tests.support.subscriptions import ANALYST_DE, DECISIONS

ANALYST_DE_CONTEXT = ANALYST_DE.to_handler_context()


def subscribe_event(channel: str, handler_context: dict[str, str] | None) -> dict[str, Any]:
    """The sample event's recorded shape, pointed at another channel and identity."""
    event = copy.deepcopy(load_invoke_event("subscribe-guard-market-allowed.json"))
    segments = channel.strip("/").split("/")
    event["info"]["channel"] = {"path": channel, "segments": segments}
    event["info"]["channelNamespace"] = {"name": segments[0]}
    event["identity"] = None if handler_context is None else {"handlerContext": handler_context}
    return event


def allowed(event: dict[str, Any], context: FakeLambdaContext) -> bool:
    """The guard's decision; it answers (null or {"error"}), never fails (that would be a Lambda error)."""
    answer = subscribe_guard.handler(event, context)
    if answer is None:  # a subscribe handler allows by returning null
        return True
    assert set(answer) == {"error"} and isinstance(answer["error"], str), answer
    return False


@pytest.mark.parametrize(
    ("identity", "channel", "expected"),
    [
        *[(grants.to_handler_context(), channel, expected) for grants, channel, expected in DECISIONS],
        (None, "/markets/DE/VELA", False),
        ({}, "/users/analyst-de", False),
        (ANALYST_DE_CONTEXT, "markets/DE/VELA", False),  # no route matches: the guard denies
    ],
)
def test_decision_table(
    identity: dict[str, str] | None, channel: str, expected: bool, lambda_context: FakeLambdaContext
) -> None:
    assert allowed(subscribe_event(channel, identity), lambda_context) is expected


def test_denial_is_an_error_reply_naming_the_channel_not_a_function_error(
    lambda_context: FakeLambdaContext,
) -> None:
    answer = subscribe_guard.handler(subscribe_event("/markets/US/VELA", ANALYST_DE_CONTEXT), lambda_context)
    assert answer == {"error": "SubscriptionDenied - You may not subscribe to /markets/US/VELA"}


def test_a_channel_without_leading_slash_is_denied_with_an_error_reply(
    lambda_context: FakeLambdaContext,
) -> None:
    answer = subscribe_guard.handler(subscribe_event("markets/DE/VELA", ANALYST_DE_CONTEXT), lambda_context)
    assert answer == {"error": "SubscriptionDenied - You may not subscribe to markets/DE/VELA"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("subscribe-guard-market-allowed.json", True),
        ("subscribe-guard-market-denied.json", False),
        ("subscribe-guard-market-wildcard-allowed.json", True),
        ("subscribe-guard-all-markets-denied.json", False),
        ("subscribe-guard-own-user-allowed.json", True),
        ("subscribe-guard-other-user-denied.json", False),
        ("subscribe-guard-plant-allowed.json", True),
        ("subscribe-guard-all-plants-allowed.json", True),
    ],
)
def test_sample_events(name: str, expected: bool, lambda_context: FakeLambdaContext) -> None:
    assert allowed(load_invoke_event(name), lambda_context) is expected
