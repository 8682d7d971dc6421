"""Endpoint resolution (as Amplify derives it) and wss:// / https:// with the local server's CA file."""

from __future__ import annotations

from appsync_events_client import ApiKeyAuth, Endpoints, EventsClient

from tests.support.event_api import LocalEventApi


def test_aws_http_domain_maps_to_the_realtime_domain() -> None:
    endpoints = Endpoints.resolve(
        "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/event"
    )
    assert endpoints.realtime_url == (
        "wss://abcdefghijklmnopqrstuvwxyz.appsync-realtime-api.eu-west-1.amazonaws.com/event/realtime"
    )
    assert endpoints.host == "abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com"


def test_bare_dns_host_names_from_cloudformation_are_completed() -> None:
    endpoints = Endpoints.resolve(
        "x.appsync-api.us-east-1.amazonaws.com", "x.appsync-realtime-api.us-east-1.amazonaws.com"
    )
    assert endpoints.http_url == "https://x.appsync-api.us-east-1.amazonaws.com/event"
    assert endpoints.realtime_url == "wss://x.appsync-realtime-api.us-east-1.amazonaws.com/event/realtime"


def test_custom_and_local_endpoints_append_realtime_and_switch_scheme() -> None:
    assert (
        Endpoints.resolve("https://events.example.com/event").realtime_url
        == "wss://events.example.com/event/realtime"
    )
    local = Endpoints.resolve("http://127.0.0.1:4020/event")
    assert local.realtime_url == "ws://127.0.0.1:4020/event/realtime"
    assert local.host == "127.0.0.1:4020"
    assert Endpoints.resolve("https://h:443/event", "https://h:443/event/realtime").realtime_url == (
        "wss://h:443/event/realtime"
    )
    assert Endpoints.resolve("https://h:443/event").host == "h"


def test_tls_listener_with_the_server_ca_file_and_a_derived_realtime_url(local_api: LocalEventApi) -> None:
    async def scenario() -> None:
        async with local_api.server(tls=True) as server:
            assert server.https_url is not None and server.tls_cert_path is not None
            client = EventsClient(
                server.https_url,
                None,
                ApiKeyAuth("da2-client-test-key"),
                ssl_cafile=str(server.tls_cert_path),
            )
            assert client.endpoints.realtime_url == server.wss_url
            async with client, client.connect() as conn:
                sub = await conn.subscribe("/ns/secure")
                await conn.publish("/ns/secure", ["over wss"])
                await client.publish_http("/ns/secure", ["over https"])
                assert [await sub.get(5), await sub.get(5)] == ["over wss", "over https"]

    local_api.run(scenario())
