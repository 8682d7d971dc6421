"""The generic wing on its own: a template that is not this project's runs with no app profile.

The local cloud is started in this process from `template.yaml` beside this file (a shop's order events): an
event put with boto3 goes through the rule's InputTransformer and the API destination to AppSync Events,
and a WebSocket subscriber with the API key receives it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.generic_wing.shop import local_json, order_delivered, shop_config
from vcn.local.cloud import running_cloud
from vcn.local.profile import NO_PROFILE, find_profile

TEMPLATE = Path(__file__).with_name("template.yaml")


def test_the_template_folder_names_no_profile() -> None:
    assert find_profile(TEMPLATE.parent, environ={}) is NO_PROFILE


def test_an_order_event_reaches_a_subscriber_without_any_app_profile(tmp_path: Path) -> None:
    config = shop_config(TEMPLATE, tmp_path)

    async def scenario() -> tuple[dict[str, object], str, dict[str, object]]:
        async with running_cloud(config) as cloud:
            local = local_json(config)
            order = {"region": "eu", "orderId": "o-42"}
            event_id, received = await order_delivered(local, cloud.bus_name, "OrderShipped", order)
            return local, event_id, received

    local, event_id, received = asyncio.run(scenario())
    assert local["eventBusName"] == "orders" and local["profile"] is None
    assert received == {"orderId": "o-42", "eventId": event_id}
    assert not (config.state_dir / "local.json").exists(), "local.json is removed when the cloud stops"
