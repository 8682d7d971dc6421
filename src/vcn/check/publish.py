"""One rendered publish body, inspected as AppSync Events would take it: what breaks, and what it costs.

A body must be a JSON object `{"channel": ..., "events": [...]}` within 1.2 MB; `events` holds 1 to 5
strings, each a JSON text of at most 240 KB; the channel is 1-5 segments of 1-50 `[A-Za-z0-9-]` characters
(no leading or trailing `-`) whose first names a namespace of the API; the namespace's publish auth modes
include one the connection's credentials satisfy; and each notification carries the fields its clients read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from vcn import json_limits
from vcn.appsync.channels import parse_channel
from vcn.appsync.protocol import AppSyncError, AppSyncLimits
from vcn.check.routes import AppSyncDestination

LIMITS = AppSyncLimits()

# Kinds of breakage (a failure is reported once per rule, target and kind, with the smallest event found).
NOT_JSON = "body-not-json"
NOT_TEXT = "body-not-utf8"
SHAPE = "publish-shape"
REQUEST_SIZE = "request-too-large"
EVENT_COUNT = "event-count"
EVENT_NOT_JSON = "event-not-json"
EVENT_SIZE = "event-too-large"
CHANNEL = "channel-invalid"
NAMESPACE = "namespace-missing"
AUTH_MODE = "publish-auth-mode"
UNDECLARED_CHANNEL = "undeclared-channel"
MISDIRECTED = "channel-misdirected"
FIELDS = "fields-missing"
UNROUTED = "unrouted"
DUPLICATE = "published-twice"

# What happens to the notification in AWS, per kind.
SILENT_DROP = (
    "EventBridge does not send a body that is not JSON and counts no failure: the notification is lost "
    "without a trace"
)
REJECTED = "AppSync Events refuses the publish; EventBridge retries only 401, 429 and 5xx answers"
DELIVERED_INCOMPLETE = "delivered, but clients miss what they read"


@dataclass(frozen=True)
class Breakage:
    kind: str
    problem: str


@dataclass(frozen=True)
class Publish:
    """A publish AppSync Events would accept: where it goes and how big each event is."""

    channel: str
    namespace: str
    event_bytes: tuple[int, ...]
    events: tuple[str, ...] = ()  # the events as published: two identical publishes reach subscribers twice


FieldsOn = Callable[[str], tuple[str, ...] | None]


def inspect_publish(
    body: str, destination: AppSyncDestination, fields_on: FieldsOn | None
) -> tuple[Publish | None, list[Breakage]]:
    """The publish a body makes, or None with what breaks it; a delivered publish may still miss fields."""
    try:
        size = len(body.encode())
    except UnicodeEncodeError as exc:
        # UNCONFIRMED how EventBridge encodes a lone surrogate; AppSync Events only takes UTF-8 text.
        return None, [Breakage(NOT_TEXT, f"the body holds a lone surrogate at character {exc.start}")]
    if size > LIMITS.max_request_bytes:
        return None, [Breakage(REQUEST_SIZE, f"the body is {size:,} bytes; AppSync takes at most 1.2 MB")]
    try:
        document = json.loads(body)
    except ValueError:
        return None, [Breakage(NOT_JSON, json_problem("the publish body", body))]
    if not isinstance(document, dict) or not isinstance(document.get("channel"), str):
        return None, [Breakage(SHAPE, 'the body is not {"channel": "<channel>", "events": [...]}')]
    channel_text = document["channel"]
    events = document.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= LIMITS.max_events_per_publish:
        count = len(events) if isinstance(events, list) else "no"
        return None, [Breakage(EVENT_COUNT, f"events must be a list of 1 to 5 JSON strings, got {count}")]
    try:
        channel = parse_channel(channel_text, allow_wildcard=False)
    except AppSyncError as exc:
        reason = (exc.message or exc.error_type).split(": ", 1)[-1]
        return None, [Breakage(CHANNEL, f"channel {channel_text!r} is not valid: {reason}")]
    broken = _api_refusals(channel.namespace, destination) + _event_refusals(events)
    if broken:
        return None, broken
    texts = tuple(str(e) for e in events)
    publish = Publish(channel.path, channel.namespace, tuple(len(e.encode()) for e in texts), texts)
    return publish, _fields(channel.path, events, fields_on)


def _api_refusals(namespace: str, destination: AppSyncDestination) -> list[Breakage]:
    api = destination.api
    found = api.namespace(namespace)
    if found is None:
        names = ", ".join(ns.name for ns in api.namespaces) or "none"
        return [
            Breakage(NAMESPACE, f"namespace {namespace!r} does not exist in {api.name} (it has: {names})")
        ]
    modes = found.publish_auth_modes or api.default_publish_auth_modes
    usable = destination.modes & set(modes)
    if not usable:
        offered = ", ".join(sorted(destination.modes)) or "no AppSync auth mode"
        return [
            Breakage(
                AUTH_MODE,
                f"namespace {namespace} takes publishes with {', '.join(modes)}; connection "
                f"{destination.connection} authenticates with {offered}",
            )
        ]
    if usable == {"API_KEY"} and not destination.carries_api_key_of_api:
        return [
            Breakage(
                AUTH_MODE,
                f"connection {destination.connection} sends an x-api-key that is no API key of {api.name}",
            )
        ]
    return []


def _event_refusals(events: list[object]) -> list[Breakage]:
    broken = []
    for index, event in enumerate(events):
        if not isinstance(event, str):
            broken.append(
                Breakage(EVENT_NOT_JSON, f"events[{index}] is a {type(event).__name__}, not a string")
            )
            continue
        size = len(event.encode())
        if size > LIMITS.max_event_bytes:
            broken.append(Breakage(EVENT_SIZE, f"events[{index}] is {size:,} bytes; the limit is 240 KB"))
            continue
        try:
            json_limits.loads(event)
        except json_limits.JsonRefused as exc:
            problem = json_problem(f"notification events[{index}]", event) or f"events[{index}]: {exc}"
            broken.append(Breakage(EVENT_NOT_JSON, problem))
    return broken


def _fields(channel: str, events: list[object], fields_on: FieldsOn | None) -> list[Breakage]:
    if fields_on is None:
        return []
    wanted = fields_on(channel)
    if wanted is None:
        return [
            Breakage(UNDECLARED_CHANNEL, f"the application declares no client of this event on {channel}")
        ]
    broken = []
    for index, event in enumerate(events):
        notification = json.loads(str(event))
        if not isinstance(notification, dict):
            broken.append(Breakage(FIELDS, f"events[{index}] is not a JSON object; clients read fields"))
            continue
        # An InputTransformer turns a missing path into "" (or `null` for a JSON value): both mean absent.
        absent = [name for name in wanted if notification.get(name) in (None, "")]
        if absent:
            broken.append(Breakage(FIELDS, f"events[{index}] has no value for {', '.join(absent)}"))
    return broken


def json_problem(what: str, text: str) -> str:
    """`<what> is not JSON (<why> at character <n>: ...<the text around it>...)`, or "" when it parses."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        around = text[max(0, exc.pos - 30) : exc.pos + 10]
        return f"{what} is not JSON ({exc.msg.removesuffix(' at')} at character {exc.pos}: ...{around!r}...)"
    return ""
