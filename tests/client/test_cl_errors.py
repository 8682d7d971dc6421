"""Service errors surface as typed client exceptions carrying errorType, message and (HTTP) status."""

from __future__ import annotations

import pytest
from appsync_events_client import (
    ApiKeyAuth,
    ConnectError,
    ConnectionLost,
    EventsConnection,
    PublishError,
    SubscribeError,
)

from tests.support.event_api import LocalEventApi


def test_wrong_api_key_on_connect_raises_connect_error_unauthorized(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            with pytest.raises(ConnectError) as caught:
                async with local_api.client(server, ApiKeyAuth("da2-wrong")).connect():
                    pass
            assert caught.value.error_type == "UnauthorizedException"
            assert caught.value.message == "You are not authorized to make this call."
            assert caught.value.is_unauthorized

    local_api.run(scenario())


def test_subscribe_to_unknown_namespace_raises_subscribe_error(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        with pytest.raises(SubscribeError) as caught:
            await conn.subscribe("/nowhere/a")
        assert caught.value.error_type == "UnauthorizedException"
        assert conn.subscriptions == []

    local_api.run_connected(scenario)


def test_six_events_over_websocket_raise_invalid_input(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        with pytest.raises(PublishError) as caught:
            await conn.publish("/ns/a", list(range(6)))
        assert caught.value.error_type == "InvalidInputError"
        assert caught.value.message == "input exceeded 5 event limit"
        assert caught.value.status is None

    local_api.run_connected(scenario)


def test_six_events_over_http_raise_bad_request_with_status(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            with pytest.raises(PublishError) as caught:
                await local_api.client(server).publish_http("/ns/a", list(range(6)))
            assert (caught.value.error_type, caught.value.status) == ("BadRequestException", 400)
            assert caught.value.message == "Input exceeded 5 event limit"

    local_api.run(scenario())


def test_http_publish_with_wrong_key_raises_unauthorized_401(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            with pytest.raises(PublishError) as caught:
                await local_api.client(server, ApiKeyAuth("da2-wrong")).publish_http("/ns/a", [1])
            assert (caught.value.error_type, caught.value.status) == ("UnauthorizedException", 401)
            assert caught.value.is_unauthorized

    local_api.run(scenario())


def test_publishing_to_a_wildcard_channel_raises_publish_error(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        with pytest.raises(PublishError) as caught:
            await conn.publish("/ns/*", [1])
        assert caught.value.error_type == "BadRequestException"

    local_api.run_connected(scenario)


def test_events_must_be_a_list_not_a_single_value(local_api: LocalEventApi) -> None:
    async def scenario(conn: EventsConnection) -> None:
        with pytest.raises(TypeError, match="list of JSON-serialisable values"):
            await conn.publish("/ns/a", "one string")  # a str is a Sequence to the type checker

    local_api.run_connected(scenario)


def test_operations_after_close_raise_connection_lost(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            async with local_api.client(server).connect() as conn:
                pass
            with pytest.raises(ConnectionLost) as caught:
                await conn.publish("/ns/a", [1])
            assert caught.value.error_type == "ConnectionClosed"

    local_api.run(scenario())


def test_connecting_to_a_closed_port_raises_connect_error(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server() as server:
            client = local_api.client(server)
        with pytest.raises(ConnectError) as caught:
            await client.connect().open()
        assert caught.value.error_type == "ConnectionFailed"

    local_api.run(scenario())
