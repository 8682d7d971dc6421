"""Submitting through the configuration API on `vcn local up`: an analyst granted FR only cannot make anything
appear on the US channels, whichever route they use; their FR configuration goes through as before.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.support.local_cloud import ROOT, RawSubscriber, RunningCloud

pytestmark = pytest.mark.e2e

PRESETS = json.loads((ROOT / "web" / "catalog.json").read_text())["presets"]
REFUSAL = (
    "Not granted market US: the token of analyst-fr grants FR only. "
    "Submit configurations only for your markets, or ask for access to US"
)


def preset(market: str, configuration_id: str) -> dict[str, Any]:
    """The console's buildable example for `market`."""
    return {"configurationId": configuration_id, "market": market, "priority": "NORMAL", **PRESETS[market]}


async def post(cloud: RunningCloud, path: str, token: str, body: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            cloud.info["api"] + path, json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        return response.status, await response.json()


def test_an_analyst_granted_fr_cannot_submit_for_us_on_any_route(local_cloud: RunningCloud) -> None:
    analyst = local_cloud.token("analyst-fr")  # `vcn token --user analyst-fr`: markets ["FR"]
    admin = local_cloud.token("admin")
    us, fr = preset("US", "cfg-grants-us-0001"), preset("FR", "cfg-grants-fr-0001")

    async def scenario() -> tuple[list[tuple[int, dict[str, Any]]], list[Any], list[Any]]:
        realtime = local_cloud.info["appsync"]["realtime"]
        async with (
            RawSubscriber(realtime, admin) as markets,
            RawSubscriber(realtime, analyst) as own,
        ):
            assert (await markets.subscribe("/markets/*"))["type"] == "subscribe_success"
            assert (await own.subscribe("/users/analyst-fr"))["type"] == "subscribe_success"
            answers = [
                await post(local_cloud, "/configurations/validate", analyst, us),
                await post(local_cloud, "/configurations/batches", analyst, {"configurations": [fr, us]}),
                await post(local_cloud, "/validations?wait=5", analyst, us),
                await post(local_cloud, "/configurations/validate", analyst, fr),
            ]
            # The FR validation's notification arrives; one for US, had it been emitted earlier, before it.
            on_own = await own.notifications(1, timeout=30)
            on_own += await own.notifications(1, timeout=1)
            on_markets = await markets.notifications(5, timeout=3)
            return answers, on_markets, on_own

    answers, on_markets, on_own = asyncio.run(scenario())
    (validate, batch, validation, allowed) = answers
    assert validate == (403, {"message": REFUSAL, "markets": ["US"], "granted": ["FR"]})
    assert batch == (
        403,
        {
            "message": REFUSAL.replace("market US:", "market US (configuration 1 of 2):"),
            "markets": ["US"],
            "granted": ["FR"],
            "items": [1],
        },
    )
    assert validation == (403, {"message": REFUSAL, "markets": ["US"], "granted": ["FR"]})
    assert allowed[0] == 200, allowed
    ours = [n for n in on_markets if n["configurationId"].startswith("cfg-grants-")]  # the cloud is shared
    for received in (ours, on_own):
        assert [(n["type"], n["configurationId"], n["market"]) for n in received] == [
            ("ConfigurationValidated", "cfg-grants-fr-0001", "FR")
        ]
