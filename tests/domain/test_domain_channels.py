"""The channel map as a decision table: who may subscribe to which channel."""

from __future__ import annotations

import pytest
from vehicle_config.channels import Grants, may_subscribe, parse_subscription_channel
from vehicle_config.fields import InvalidFields

from tests.support.subscriptions import ANALYST_DE, DECISIONS, NOBODY


@pytest.mark.parametrize(
    ("grants", "channel", "allowed"),
    [*DECISIONS, (ANALYST_DE, "markets/DE/VELA", True)],  # the guard denies it: AppSync sends the slash
)
def test_decision_table(grants: Grants, channel: str, allowed: bool) -> None:
    assert may_subscribe(grants, channel) is allowed


def test_grants_round_trip_through_handler_context() -> None:
    context = ANALYST_DE.to_handler_context()
    assert context == {"userId": "analyst-de", "markets": "DE,FR", "plants": "ZWI"}
    assert Grants.from_handler_context(context) == ANALYST_DE


def test_malformed_handler_context_grants_nothing() -> None:
    grants = Grants.from_handler_context({"userId": "a/b", "markets": ["DE"], "plants": "ZWI, ,b d"})
    assert grants == Grants("", frozenset(), frozenset({"ZWI"}))
    assert Grants.from_handler_context(None) == NOBODY


def test_grants_from_token_claims() -> None:
    grants = Grants.from_claims({"sub": "analyst-de", "markets": ["DE", "FR", "no good"], "plants": "ZWI"})
    assert grants == Grants("analyst-de", frozenset({"DE", "FR"}), frozenset())
    with pytest.raises(InvalidFields, match="sub"):
        Grants.from_claims({"sub": "user@example.com"})


def test_parse_subscription_channel() -> None:
    assert parse_subscription_channel("/markets/DE/*") == ["markets", "DE", "*"]
    assert parse_subscription_channel("/a/b/c/d/e/f") is None


@pytest.mark.parametrize(
    ("markets", "expected"),
    [("[DE FR]", {"DE", "FR"}), ("[*]", {"*"}), ("[]", set()), (["DE", "US"], {"DE", "US"}), (None, set())],
)
def test_http_api_claims_rendered_as_strings_become_grants(markets: object, expected: set[str]) -> None:
    claims = {"sub": "analyst-de", "markets": markets, "plants": "[ZWI]"}
    grants = Grants.from_http_api_claims(claims)
    assert grants.user_id == "analyst-de" and grants.markets == expected and grants.plants == {"ZWI"}


def test_http_api_claims_drop_codes_that_cannot_be_channel_segments() -> None:
    grants = Grants.from_http_api_claims({"sub": "u1", "markets": "[DE -bad x/y]"})
    assert grants.markets == {"DE"}
