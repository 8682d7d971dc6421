"""The client against a real AppSync Events server: subscribe, wildcard, publish over WebSocket and HTTP."""

from __future__ import annotations

import asyncio

from appsync_events_client import EventsConnection, SubscriptionState

from tests.support.event_api import LocalEventApi


def test_subscriber_receives_events_published_over_websocket_as_parsed_json(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        sub = await conn.subscribe("/ns/orders")
        result = await conn.publish("/ns/orders", [{"order": 1}, "plain text", [1, 2]])
        assert [entry["index"] for entry in result.successful] == [0, 1, 2]
        assert result.failed == [] and result.ok
        assert [await sub.get(5) for _ in range(3)] == [{"order": 1}, "plain text", [1, 2]]

    local_api.run_connected(scenario)


def test_http_publish_reaches_a_websocket_subscriber(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            client = local_api.client(server)
            async with client.connect() as conn:
                sub = await conn.subscribe("ns/orders")  # a channel without the leading slash is accepted
                result = await client.publish_http("/ns/orders", [{"via": "http"}])
                assert len(result.successful) == 1 and result.successful[0]["identifier"]
                assert await sub.get(5) == {"via": "http"}

    local_api.run(scenario())


def test_wildcard_subscription_receives_every_channel_below_its_prefix(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        everything = await conn.subscribe("/ns/*")
        deep = await conn.subscribe("/ns/a/*")
        await conn.publish("/ns/a/b/c", [{"n": 1}])
        await conn.publish("/ns/x", [{"n": 2}])
        await conn.publish("/other/a", [{"n": 3}])
        assert [await everything.get(5), await everything.get(5)] == [{"n": 1}, {"n": 2}]
        assert await deep.get(5) == {"n": 1}
        await asyncio.sleep(0.2)  # give a wrongly routed event the chance to arrive
        assert everything.pending_events == 0 and deep.pending_events == 0

    local_api.run_connected(scenario)


def test_unsubscribe_ends_the_iterator_and_stops_delivery(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        leaving = await conn.subscribe("/ns/room")
        staying = await conn.subscribe("/ns/room")
        await conn.publish("/ns/room", ["before"])
        assert await staying.get(5) == "before"
        await leaving.unsubscribe()
        assert leaving.state is SubscriptionState.CLOSED
        await conn.publish("/ns/room", ["after"])
        assert await staying.get(5) == "after"
        received = [event async for event in leaving]
        assert received == ["before"]
        assert [s.id for s in conn.subscriptions] == [staying.id]

    local_api.run_connected(scenario)


def test_async_for_yields_events_until_the_connection_is_closed(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            conn = local_api.client(server).connect()
            await conn.open()
            sub = await conn.subscribe("/ns/feed")
            await conn.publish("/ns/feed", [1, 2, 3])
            await local_api.eventually(lambda: sub.pending_events == 3, what="three events")
            await conn.close()
            assert [event async for event in sub] == [1, 2, 3]
            assert not conn.connected

    local_api.run(scenario())


def test_subscription_context_manager_unsubscribes_at_the_service(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        async with await conn.subscribe("/ns/ctx") as sub:
            await conn.publish("/ns/ctx", ["x"])
            assert await sub.get(5) == "x"
        assert sub.state is SubscriptionState.CLOSED
        assert conn.subscriptions == []

    local_api.run_connected(scenario)
