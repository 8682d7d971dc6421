"""The shop the generic-wing tests run (a template that is not this project's): a local cloud's config for a
test, the clients a user of it would hold, and one order event from PutEvents to an AppSync subscriber."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from appsync_events_client import ApiKeyAuth, EventsClient

from tests.support.boto_clients import local_client
from tests.support.local_cloud import free_ports
from vcn.clock import Clock
from vcn.local.cloud import LocalCloudConfig
from vcn.local.ports import LocalPorts


def shop_config(template: Path, tmp_path: Path, clock: Clock | None = None) -> LocalCloudConfig:
    """The cloud of `template` on free ports (no TLS) with its state under `tmp_path`.

    The ports come from the test support's slice below the kernel's ephemeral range: with 0 the local cloud
    would pick them from that range, and between its pick and its bind (the template is resolved in
    between) an outgoing connection of a parallel test can take one (seen: "port 35475 is in use")."""
    api, eventbridge, appsync, dynamodb = free_ports(4)
    return LocalCloudConfig(
        template,
        ports=LocalPorts(api, eventbridge, appsync, None, dynamodb),
        state_dir=tmp_path / "state",
        clock=clock,
    )


def local_json(config: LocalCloudConfig) -> dict[str, Any]:
    """What the running cloud wrote for its users: endpoints, region, API key."""
    return dict(json.loads((config.state_dir / "local.json").read_text()))


def events_client(local: dict[str, Any]) -> Any:
    """boto3 EventBridge on the cloud's endpoint, with dummy credentials."""
    return local_client("events", local["eventbridge"], local["region"])


async def order_delivered(
    local: dict[str, Any], bus_name: str, detail_type: str, order: dict[str, str]
) -> tuple[str, Any]:
    """Subscribed to /orders/* with the API key, put one shop.orders event with boto3 (from a worker thread:
    the cloud serves on this loop); its EventId and the first notification the subscriber receives."""
    appsync = local["appsync"]
    client = EventsClient(appsync["http"], appsync["realtime"], ApiKeyAuth(appsync["apiKey"]))
    events = events_client(local)
    async with client.connect() as connection:
        subscription = await connection.subscribe("/orders/*")
        response = await asyncio.to_thread(
            events.put_events,
            Entries=[
                {
                    "EventBusName": bus_name,
                    "Source": "shop.orders",
                    "DetailType": detail_type,
                    "Detail": json.dumps(order),
                }
            ],
        )
        received = await asyncio.wait_for(anext(aiter(subscription)), timeout=10)
    return str(response["Entries"][0]["EventId"]), received
