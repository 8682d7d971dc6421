"""Whether an API destination calls an AppSync Events API's HTTP publish endpoint: `POST https://<Dns.Http>/event`.

AppSync Events takes a publish only as a POST to `/event` on the API's HTTP host; its realtime host
(`Dns.Realtime`) is the WebSocket endpoint, and any other path or method is refused, so every event sent there
fails into the target's dead-letter queue (or is lost) and no subscriber hears of it. Locally both hosts
resolve to the same address, so the endpoint is judged on the attributes it is built from, as written, and on
its resolved text.

An endpoint built from an AppSync API of the template that is not exactly its publish endpoint, or a method
other than POST, is a mistake. An endpoint that names no AppSync API of the template (another HTTP API, or a
literal host) calls something the check cannot see: what it does with an event is not proven.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vcn.template.view import TemplateView, attribute_references

PUBLISH_METHOD = "POST"
HTTP_HOST = "Dns.Http"
REALTIME_HOST = "Dns.Realtime"
# An Event API's endpoints as a template writes them, `%s` its logical id.
PUBLISH_ENDPOINT = "https://${%s." + HTTP_HOST + "}/event"
REALTIME_ENDPOINT = "wss://${%s." + REALTIME_HOST + "}/event/realtime"


@dataclass(frozen=True)
class OtherDestination:
    """An API destination that is not an AppSync Events API's HTTP publish endpoint."""

    destination: str  # logical id of the AWS::Events::ApiDestination
    endpoint: str  # as the template writes it
    mistake: str | None = None  # it names an AppSync API of the template but would not publish to it
    hint: str | None = None


@dataclass(frozen=True)
class Judged:
    """The AppSync API (logical id) an API destination publishes to, or what else it calls."""

    api: str | None
    other: OtherDestination | None


def judge_endpoint(view: TemplateView, lid: str, resolved_endpoint: str, method: str) -> Judged:
    """Which AppSync API of the template the destination publishes to, or why it does not."""
    raw = view.raw(lid).get("InvocationEndpoint")
    shown = as_written(raw, resolved_endpoint)
    references = attribute_references(raw)
    apis = set(view.logical_ids("AWS::AppSync::Api"))
    named = sorted({name for name, _ in references if name in apis})
    if not named:
        return Judged(None, OtherDestination(lid, shown))
    if len(named) > 1:
        problem = (
            f"its InvocationEndpoint {shown} is built from more than one AppSync API ({', '.join(named)})"
        )
        return Judged(None, OtherDestination(lid, shown, problem, _hint(named[0])))
    api = named[0]
    attributes = {attribute for name, attribute in references if name == api}
    expected = view.resolve({"Fn::Sub": PUBLISH_ENDPOINT % api}, lid)
    if attributes != {HTTP_HOST} or resolved_endpoint != expected:
        why = (
            f"{REALTIME_HOST} is the WebSocket host, which takes no HTTP publish"
            if REALTIME_HOST in attributes
            else f"AppSync Events takes a publish only at {PUBLISH_METHOD} /event on the {HTTP_HOST} host"
        )
        problem = (
            f"its InvocationEndpoint {shown} names AppSync API {api} but is not its publish endpoint: {why}"
        )
        return Judged(None, OtherDestination(lid, shown, problem + _LOST, _hint(api)))
    if method.upper() != PUBLISH_METHOD:
        problem = f"HttpMethod {method}: AppSync Events takes a publish only as {PUBLISH_METHOD} /event"
        return Judged(None, OtherDestination(lid, shown, problem + _LOST, _hint(api)))
    return Judged(api, None)


_LOST = "; AppSync refuses every event sent there and no subscriber receives it"


def _hint(api: str) -> str:
    return f'set InvocationEndpoint to !Sub "https://${{{api}.{HTTP_HOST}}}/event" and HttpMethod to POST'


def as_written(raw: Any, resolved: str) -> str:
    """The endpoint as the template writes it (a `!Sub` text), or as it resolves."""
    if isinstance(raw, Mapping) and "Fn::Sub" in raw:
        argument = raw["Fn::Sub"]
        text = argument[0] if isinstance(argument, list) and argument else argument
        if isinstance(text, str):
            return text
    return raw if isinstance(raw, str) else resolved
