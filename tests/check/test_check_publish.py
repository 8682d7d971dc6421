"""One rendered publish body, inspected as AppSync Events takes it."""

from __future__ import annotations

import json

import pytest

from vcn.appsync.config import EventApiConfig, Namespace
from vcn.check.publish import inspect_publish
from vcn.check.routes import AppSyncDestination

API = EventApiConfig(
    name="events",
    api_id="a1",
    account="000000000000",
    region="us-east-1",
    namespaces=(Namespace("orders"), Namespace("audit", publish_auth_modes=("AWS_IAM",))),
)
DESTINATION = AppSyncDestination("Destination", "Connection", API, "Api", frozenset({"API_KEY"}), True, 300)


def body(channel: str, *events: str) -> str:
    return json.dumps({"channel": channel, "events": list(events)})


def kinds(text: str, fields: tuple[str, ...] | None = ("id",)) -> list[str]:
    _, broken = inspect_publish(text, DESTINATION, lambda channel: fields)
    return [b.kind for b in broken]


def test_an_intact_publish_reports_its_channel_namespace_and_event_sizes() -> None:
    publish, broken = inspect_publish(body("/orders/DE", '{"id":"1"}'), DESTINATION, lambda c: ("id",))
    assert broken == []
    assert publish is not None
    assert (publish.channel, publish.namespace, publish.event_bytes) == ("/orders/DE", "orders", (10,))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('{"channel": "/orders/DE", "events": ["{}"]', "body-not-json"),
        ('["/orders/DE"]', "publish-shape"),
        (body("/orders/DE"), "event-count"),
        (body("/orders/DE", *['{"id":"1"}'] * 6), "event-count"),
        (body("/orders/DE", "{id:1}"), "event-not-json"),
        (body("/orders/DE", "NaN"), "event-not-json"),
        (body("/orders/D E", '{"id":"1"}'), "channel-invalid"),
        (body("/orders/-DE", '{"id":"1"}'), "channel-invalid"),
        (body("/orders/" + "x" * 51, '{"id":"1"}'), "channel-invalid"),
        (body("/orders/a/b/c/d/e", '{"id":"1"}'), "channel-invalid"),
        (body("/orders/*", '{"id":"1"}'), "channel-invalid"),
        (body("/shipments/DE", '{"id":"1"}'), "namespace-missing"),
        (body("/audit/DE", '{"id":"1"}'), "publish-auth-mode"),
        (body("/orders/DE", '{"id":""}'), "fields-missing"),
        (body("/orders/DE", "{}"), "fields-missing"),
        (body("/orders/DE", json.dumps("x" * 250_000)), "event-too-large"),
        ('{"channel": "/orders/DE", "events": ["\ud800"]}', "body-not-utf8"),
    ],
)
def test_what_appsync_would_refuse_or_clients_would_miss_is_named(text: str, kind: str) -> None:
    assert kinds(text) == [kind]


def test_a_body_over_the_request_limit_is_refused_before_it_is_parsed() -> None:
    events = [json.dumps("x" * 245_000)] * 5
    assert kinds(body("/orders/DE", *events)) == ["request-too-large"]


def test_a_channel_the_application_sends_no_client_of_the_event_to_is_undeclared() -> None:
    assert kinds(body("/orders/DE", '{"id":"1"}'), fields=None) == ["undeclared-channel"]


def test_without_an_application_contract_no_field_is_required() -> None:
    _, broken = inspect_publish(body("/orders/DE", "{}"), DESTINATION, None)
    assert broken == []


def test_an_api_key_connection_carrying_another_apis_key_is_refused() -> None:
    foreign = AppSyncDestination("Destination", "Connection", API, "Api", frozenset({"API_KEY"}), False, 300)
    _, broken = inspect_publish(body("/orders/DE", '{"id":"1"}'), foreign, None)
    assert [(b.kind, b.problem) for b in broken] == [
        ("publish-auth-mode", "connection Connection sends an x-api-key that is no API key of events")
    ]
