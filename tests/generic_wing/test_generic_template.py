"""The generic wing on its own: a template that is not this project's runs with no app profile.

The local cloud is started in this process from `template.yaml` beside this file (a shop's order events): an
event put with boto3 goes through the rule's InputTransformer and the API destination to AppSync Events,
and a WebSocket subscriber with the API key receives it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import boto3
from appsync_events_client import ApiKeyAuth, EventsClient

from vcn.local.cloud import LocalCloudConfig, running_cloud
from vcn.local.ports import LocalPorts
from vcn.local.profile import NO_PROFILE, find_profile

TEMPLATE = Path(__file__).with_name("template.yaml")


def test_the_template_folder_names_no_profile() -> None:
    assert find_profile(TEMPLATE.parent, environ={}) is NO_PROFILE


def test_an_order_event_reaches_a_subscriber_without_any_app_profile(tmp_path: Path) -> None:
    config = LocalCloudConfig(TEMPLATE, ports=LocalPorts(0, 0, 0, None), state_dir=tmp_path / "state")

    async def scenario() -> tuple[dict[str, object], str, dict[str, object]]:
        async with running_cloud(config) as cloud:
            local = json.loads((config.state_dir / "local.json").read_text())
            appsync = local["appsync"]
            client = EventsClient(appsync["http"], appsync["realtime"], ApiKeyAuth(appsync["apiKey"]))
            events = boto3.client(
                "events",
                endpoint_url=local["eventbridge"],
                region_name=local["region"],
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
            async with client.connect() as connection:
                subscription = await connection.subscribe("/orders/*")
                response = await asyncio.to_thread(
                    events.put_events,
                    Entries=[
                        {
                            "EventBusName": cloud.bus_name,
                            "Source": "shop.orders",
                            "DetailType": "OrderShipped",
                            "Detail": json.dumps({"region": "eu", "orderId": "o-42"}),
                        }
                    ],
                )
                received = await asyncio.wait_for(anext(aiter(subscription)), timeout=10)
            return local, response["Entries"][0]["EventId"], received

    local, event_id, received = asyncio.run(scenario())
    assert local["eventBusName"] == "orders"
    assert received == {"orderId": "o-42", "eventId": event_id}
    assert not (config.state_dir / "local.json").exists(), "local.json is removed when the cloud stops"
