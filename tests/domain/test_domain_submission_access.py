"""Submitting is held to the reading rule: a configuration only for a market the caller's grants cover."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vehicle_config.channels import Grants, may_subscribe
from vehicle_config.model import Configuration
from vehicle_config.submission_access import MarketsNotGranted, check_markets_granted

ANALYST_FR = Grants("analyst-fr", frozenset({"FR"}), frozenset())
ALL_MARKETS = Grants("admin", frozenset({"*"}), frozenset())
NO_MARKET = Grants("supply-lead", frozenset(), frozenset({"*"}))
MARKETS = ["DE", "FR", "US", "IT", "GB"]


def configuration(market: str, index: int = 0) -> Configuration:
    return Configuration.from_dict(
        {
            "configurationId": f"cfg-access-{index}",
            "market": market,
            "modelLine": "VELA",
            "trim": "SPORT",
            "powertrain": "PHEV",
            "plant": "WOB",
            "options": [],
            "priority": "NORMAL",
        }
    )


def test_a_granted_market_passes_and_a_wildcard_grant_passes_every_market() -> None:
    check_markets_granted(ANALYST_FR, [configuration("FR")])
    check_markets_granted(ALL_MARKETS, [configuration(market) for market in MARKETS])


def test_one_configuration_for_another_market_is_refused_naming_it() -> None:
    with pytest.raises(MarketsNotGranted) as refused:
        check_markets_granted(ANALYST_FR, [configuration("US")])
    assert (refused.value.markets, refused.value.items, refused.value.granted) == (("US",), (0,), ("FR",))
    assert str(refused.value) == (
        "Not granted market US: the token of analyst-fr grants FR only. "
        "Submit configurations only for your markets, or ask for access to US"
    )


def test_a_batch_names_every_market_refused_and_which_items() -> None:
    batch = [configuration(m, i) for i, m in enumerate(["FR", "US", "FR", "DE", "US"])]
    with pytest.raises(MarketsNotGranted) as refused:
        check_markets_granted(ANALYST_FR, batch)
    assert (refused.value.markets, refused.value.items) == (("DE", "US"), (1, 3, 4))
    assert str(refused.value) == (
        "Not granted markets DE, US (configurations 1, 3, 4 of 5): the token of analyst-fr grants FR only. "
        "Submit configurations only for your markets, or ask for access to DE, US"
    )


def test_grants_without_any_market_refuse_every_configuration() -> None:
    with pytest.raises(MarketsNotGranted, match="the token of supply-lead grants no market"):
        check_markets_granted(NO_MARKET, [configuration("DE")])


@given(
    granted=st.frozensets(st.sampled_from([*MARKETS, "*"])),
    submitted=st.lists(st.sampled_from(MARKETS), min_size=1, max_size=6),
)
def test_submitting_is_allowed_exactly_when_reading_the_market_channel_is(
    granted: frozenset[str], submitted: list[str]
) -> None:
    grants = Grants("analyst", granted, frozenset())
    readable = [may_subscribe(grants, f"/markets/{market}/VELA") for market in submitted]
    try:
        check_markets_granted(grants, [configuration(m, i) for i, m in enumerate(submitted)])
    except MarketsNotGranted as refused:
        assert refused.items == tuple(i for i, ok in enumerate(readable) if not ok)
    else:
        assert all(readable)
