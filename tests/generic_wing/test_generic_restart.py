"""The local cloud restarted on the same state folder: a rule created through the API comes back and still
delivers through the template's API destination (whose ARN is the same after the restart), while drift on
the template's own rule is reset to what the template declares."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import boto3
from appsync_events_client import ApiKeyAuth, EventsClient

from vcn.local.cloud import LocalCloudConfig, running_cloud
from vcn.local.ports import LocalPorts

TEMPLATE = Path(__file__).with_name("template.yaml")
RETURNED_TEMPLATE = json.dumps(
    {"channel": "/orders/<region>", "events": ['{"returned":"<orderId>", "eventId":"<eventId>"}']}
)


class Events:
    """boto3 from a worker thread: the local cloud serves on this test's event loop."""

    def __init__(self, local: dict[str, Any]) -> None:
        self.client = boto3.client(
            "events",
            endpoint_url=local["eventbridge"],
            region_name=local["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    async def __call__(self, operation: str, **request: Any) -> Any:
        return await asyncio.to_thread(getattr(self.client, operation), **request)


def test_api_resources_survive_a_restart_and_template_drift_does_not(tmp_path: Path) -> None:
    config = LocalCloudConfig(TEMPLATE, ports=LocalPorts(0, 0, 0, None), state_dir=tmp_path / "state")

    async def first_run() -> tuple[str, str]:
        async with running_cloud(config):
            events = Events(json.loads((config.state_dir / "local.json").read_text()))
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

    async def second_run(shipped: str) -> tuple[str, str, dict[str, Any], list[str]]:
        async with running_cloud(config) as cloud:
            local = json.loads((config.state_dir / "local.json").read_text())
            events = Events(local)
            [destination] = (await events("list_api_destinations"))["ApiDestinations"]
            pattern = (await events("describe_rule", Name=shipped, EventBusName="orders"))["EventPattern"]
            appsync = local["appsync"]
            client = EventsClient(appsync["http"], appsync["realtime"], ApiKeyAuth(appsync["apiKey"]))
            async with client.connect() as connection:
                subscription = await connection.subscribe("/orders/*")
                response = await events(
                    "put_events",
                    Entries=[
                        {
                            "EventBusName": cloud.bus_name,
                            "Source": "shop.orders",
                            "DetailType": "OrderReturned",
                            "Detail": json.dumps({"region": "eu", "orderId": "o-7"}),
                        }
                    ],
                )
                received = await asyncio.wait_for(anext(aiter(subscription)), timeout=10)
            names = [rule["Name"] for rule in (await events("list_rules", EventBusName="orders"))["Rules"]]
            return str(destination["ApiDestinationArn"]), pattern, {"received": received, **response}, names

    destination_before, shipped = asyncio.run(first_run())
    destination_after, shipped_pattern, outcome, rule_names = asyncio.run(second_run(shipped))
    assert destination_after == destination_before
    assert json.loads(shipped_pattern) == {"source": ["shop.orders"], "detail-type": ["OrderShipped"]}
    assert sorted(rule_names) == sorted([shipped, "returned"])
    assert outcome["received"] == {"returned": "o-7", "eventId": outcome["Entries"][0]["EventId"]}
