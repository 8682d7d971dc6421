"""What an Event API counts for AWS/AppSync: connects, subscribes, publishes (per event), messages fanned out
and connections open, split into successes and client errors."""

from __future__ import annotations

import websockets

from tests.support.appsync_server import KEY_AUTH, header_subprotocol, raw_client, run, running_server
from vcn.appsync.metrics import ApiActivity


def test_operations_are_counted_under_aws_appsync_names() -> None:
    async def scenario() -> tuple[ApiActivity, ApiActivity]:
        async with running_server() as server:
            async with raw_client(server) as subscriber, raw_client(server) as publisher:
                assert (await subscriber.subscribe("s1", "/default/a"))["type"] == "subscribe_success"
                assert (await subscriber.subscribe("s2", "/nowhere/a"))["type"] == "subscribe_error"
                await publisher.publish("p1", "/default/a", ['{"n": 1}', '{"n": 2}'])
                assert (await publisher.recv())["type"] == "publish_success"
                await publisher.publish("p2", "/default/a", ["not json"])
                assert (await publisher.recv())["type"] == "publish_error"
                for _ in range(2):
                    assert (await subscriber.recv())["type"] == "data"
                while_open = server.activity()
            wrong = {**KEY_AUTH, "x-api-key": "da2-wrong"}
            async with websockets.connect(
                server.realtime_url,
                subprotocols=["aws-appsync-event-ws", header_subprotocol(wrong)],  # type: ignore[list-item]
            ) as refused:
                assert "connection_error" in str(await refused.recv())
            return while_open, server.activity()

    while_open, after = run(scenario())
    assert while_open.api_id == "testapi123" and while_open.active_connections == 2
    counts = after.counts
    assert (counts["ConnectRequests"], counts["ConnectSuccess"], counts["ConnectClientError"]) == (3, 2, 1)
    assert (counts["SubscribeSuccess"], counts["SubscribeClientError"]) == (1, 1)
    assert (counts["PublishEventsSuccess"], counts["PublishEventsClientError"]) == (2, 1)
    assert counts["OutboundMessages"] == 2
    assert counts["ConnectServerError"] == counts["PublishEventsServerError"] == 0
