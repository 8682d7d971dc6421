"""The local cloud restarted on the same state folder: a rule created through the API comes back and still
delivers through the template's API destination (whose ARN is the same after the restart), while drift on
the template's own rule is reset to what the template declares."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.generic_wing.shop import events_client, local_json, order_delivered, shop_config
from vcn.local.cloud import running_cloud

TEMPLATE = Path(__file__).with_name("template.yaml")
RETURNED_TEMPLATE = json.dumps(
    {"channel": "/orders/<region>", "events": ['{"returned":"<orderId>", "eventId":"<eventId>"}']}
)


class Events:
    """boto3 from a worker thread: the local cloud serves on this test's event loop."""

    def __init__(self, local: dict[str, Any]) -> None:
        self.client = events_client(local)

    async def __call__(self, operation: str, **request: Any) -> Any:
        return await asyncio.to_thread(getattr(self.client, operation), **request)


def test_api_resources_survive_a_restart_and_template_drift_does_not(tmp_path: Path) -> None:
    config = shop_config(TEMPLATE, tmp_path)

    async def first_run() -> tuple[str, str]:
        async with running_cloud(config):
            events = Events(local_json(config))
            [destination] = (await events("list_api_destinations"))["ApiDestinations"]
            await events(
                "put_rule",
                Name="returned",
                EventBusName="orders",
                EventPattern=json.dumps({"source": ["shop.orders"], "detail-type": ["OrderReturned"]}),
            )
            await events(
                "put_targets",
                Rule="returned",
                EventBusName="orders",
                Targets=[
                    {
                        "Id": "channel",
                        "Arn": destination["ApiDestinationArn"],
                        "InputTransformer": {
                            "InputPathsMap": {
                                "eventId": "$.id",
                                "region": "$.detail.region",
                                "orderId": "$.detail.orderId",
                            },
                            "InputTemplate": RETURNED_TEMPLATE,
                        },
                    }
                ],
            )
            [shipped] = [
                rule
                for rule in (await events("list_rules", EventBusName="orders"))["Rules"]
                if rule["Name"] != "returned"
            ]
            await events(  # drift: the template's rule now matches nothing it declared
                "put_rule",
                Name=shipped["Name"],
                EventBusName="orders",
                EventPattern='{"source": ["drifted"]}',
            )
            return str(destination["ApiDestinationArn"]), str(shipped["Name"])

    async def second_run(shipped: str) -> tuple[str, str, str, Any, list[str]]:
        async with running_cloud(config) as cloud:
            local = local_json(config)
            events = Events(local)
            [destination] = (await events("list_api_destinations"))["ApiDestinations"]
            pattern = (await events("describe_rule", Name=shipped, EventBusName="orders"))["EventPattern"]
            order = {"region": "eu", "orderId": "o-7"}
            event_id, received = await order_delivered(local, cloud.bus_name, "OrderReturned", order)
            names = [rule["Name"] for rule in (await events("list_rules", EventBusName="orders"))["Rules"]]
            return str(destination["ApiDestinationArn"]), pattern, event_id, received, names

    destination_before, shipped = asyncio.run(first_run())
    destination_after, shipped_pattern, event_id, received, rule_names = asyncio.run(second_run(shipped))
    assert destination_after == destination_before
    assert json.loads(shipped_pattern) == {"source": ["shop.orders"], "detail-type": ["OrderShipped"]}
    assert sorted(rule_names) == sorted([shipped, "returned"])
    assert received == {"returned": "o-7", "eventId": event_id}
