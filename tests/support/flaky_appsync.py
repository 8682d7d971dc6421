"""A flaky AppSync Events API for end-to-end tests: an HTTP proxy in front of the local AppSync endpoint that
answers 500 until the test makes it healthy, and the supply rule's target re-pointed at it (with the ordinary
EventBridge API, as on AWS), so the fault is real HTTP; and the wait until what failed is dead-lettered."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from tests.support.local_cloud import RunningCloud
from tests.support.loopback_http import serve_on_loopback
from vcn.eventbridge.dlq import DeadLetterMessage, DeadLetterStore


class EventEndpoint:
    """An HTTP endpoint taking `POST /event` (AppSync's, or any API destination's target) on a free port of
    this loop; `handle` answers, `requests` counts."""

    def __init__(self) -> None:
        self.requests = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def _count_and_handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        return await self.handle(request)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/event", self._count_and_handle)
        self.runner, port = await serve_on_loopback(app)
        self.url = f"http://127.0.0.1:{port}/event"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


class FlakyAppSync(EventEndpoint):
    """A proxy to the AppSync HTTP endpoint that fails with 500 until `healthy` is set."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream
        self.healthy = False

    async def handle(self, request: web.Request) -> web.Response:
        if not self.healthy:
            return web.json_response(
                {"errors": [{"errorType": "InternalFailure", "message": "down"}]}, status=500
            )
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("x-api-key", "content-type")
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.upstream, data=await request.read(), headers=headers) as response,
        ):
            return web.Response(
                status=response.status, body=await response.read(), content_type="application/json"
            )


def route_supply_rule_through(cloud: RunningCloud, endpoint: str) -> str:
    """Re-point the supply constraint rule's target at `endpoint`; returns the rule name."""
    events = cloud.events_client()
    bus = cloud.info["eventBusName"]
    rule = next(
        r["Name"]
        for r in events.list_rules(EventBusName=bus)["Rules"]
        if "SupplyConstraint" in r["Name"] and "Rejected" not in r["Name"]  # the one to AppSync
    )
    targets = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
    destination_name = targets[0]["Arn"].split(":api-destination/", 1)[1].split("/")[0]
    connection = events.describe_api_destination(Name=destination_name)["ConnectionArn"]
    flaky = events.create_api_destination(
        Name="FlakyAppSync", ConnectionArn=connection, InvocationEndpoint=endpoint, HttpMethod="POST"
    )["ApiDestinationArn"]
    reply = events.put_targets(Rule=rule, EventBusName=bus, Targets=[{**t, "Arn": flaky} for t in targets])
    assert reply["FailedEntryCount"] == 0, reply
    return str(rule)


async def supply_dead_letters(
    cloud: RunningCloud, store: DeadLetterStore, constraint_ids: set[str]
) -> list[DeadLetterMessage]:
    """Waits (up to a minute) until the dead-letter queue holds one message per constraint id, and checks that
    what failed is the supply ingress's checked event of each (a new event on the bus), not what was put."""
    for _ in range(600):
        if len(store.list()) >= len(constraint_ids):
            break
        await asyncio.sleep(0.1)
    dead = store.list()
    assert {m.event["detail"]["constraintId"] for m in dead} == constraint_ids, cloud.log_tail()
    assert {m.event["source"] for m in dead} == {"vehicle-config.supply.checked"}
    return dead
