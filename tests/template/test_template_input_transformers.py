"""The notification rules' InputTransformers produce valid AppSync Events publish bodies for catalog events.

EventBridge splices values into the InputTemplate without escaping and silently drops a body that is not
valid JSON, so every target is rendered here exactly as EventBridge renders it and parsed twice: the outer
publish body, then the notification string inside it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vehicle_config.fields import CHANNEL_SEGMENT_FIELDS
from vehicle_config.notifications import NOTIFICATIONS, REQUEST_ID, SUPPLY_SOURCE
from vehicle_config.supply_ingress import Admitted, admit

REPO = Path(__file__).resolve().parents[2]
NOTIFICATION_RULES = (
    "ConfigurationValidatedRule",
    "ValidationReplyRule",
    "SpecAdjustmentRecommendedRule",
    "SupplyConstraintRule",
)
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")

# Notification keys EventBridge fills from the event's envelope, not its detail, and where they come from.
FROM_ENVELOPE = {"type": "detail-type", "eventId": "id", "time": "time"}
COUNT_FIELDS = ("violationCount", "warningCount")  # spliced outside quotes: they travel as JSON numbers
# Every field valued with its own name (counts: their own number), so a rendered body shows what went where.
NAMED_FIELDS = (
    {name: name for notification in NOTIFICATIONS.values() for name in notification.detail_fields}
    | {REQUEST_ID: REQUEST_ID}
    | {name: number for number, name in enumerate(COUNT_FIELDS, start=1)}
)

SAMPLE_DETAILS: dict[str, dict[str, Any]] = {
    "ConfigurationValidated": {
        "configurationId": "cfg-vela-de-0042",
        "market": "DE",
        "modelLine": "VELA",
        "plant": "WOB",
        "outcome": "VALID_WITH_WARNINGS",
        "violationCount": 0,
        "warningCount": 12,
        "submittedBy": "0b6f9a4e-3c1d-4f8e-9a7b-5d2c1e0f9a8b",
        "priority": "HIGH",
        "requestId": "req-2b8e61d4",
    },
    "SpecAdjustmentRecommended": {
        "configurationId": "cfg-terra-us-0007",
        "market": "US",
        "modelLine": "TERRA",
        "submittedBy": "analyst-us",
        "recommendationId": "rec-676855b421dce791",
        "action": "REPLACE_OPTION",
        "fromOption": "LASER-LIGHT",
        "toOption": "LED-MATRIX",
        "reasonCode": "OPTION_NOT_SOLD_IN_MARKET",
        "priority": "NORMAL",
    },
    "SupplyConstraintRaised": {
        "constraintId": "sc-2026-11-0193",
        "plant": "ZWI",
        "partNumber": "BAT-MOD-86KWH-7731",
        "severity": "CRITICAL",
        "affectedConfigurations": ["cfg-nova-fr-0101", "cfg-nova-de-0017"],
        "priority": "URGENT",
    },
    "SupplyConstraintCleared": {
        "constraintId": "sc-2026-11-0193",
        "plant": "ZWI",
        "partNumber": "BAT-MOD-86KWH-7731",
        "severity": "LOW",
        "affectedConfigurations": [],
        "priority": "LOW",
    },
}


def envelope(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An event as EventBridge hands it to a rule target."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-22T22:28:06Z",
        "region": "eu-central-1",
        "resources": [],
        "detail": detail,
    }


def resolve_path(event: dict[str, Any], path: str) -> Any:
    """Follow an InputPathsMap path (`$.detail.market`, `$.detail-type`); None when it is missing."""
    assert path.startswith("$."), path
    value: Any = event
    for key in path[2:].split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def splice_into_string(value: Any) -> str:
    """A value placed inside a JSON string of the template: verbatim, never escaped (as recorded from AWS)."""
    if value is None:
        return ""  # a missing path becomes the empty string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    raise AssertionError(f"lists and objects must not travel in notifications: {value!r}")


def render_input_template(input_template: str, paths_map: dict[str, str], event: dict[str, Any]) -> str:
    """Substitute placeholders as EventBridge does: inside a string verbatim, outside it as a JSON value."""
    values = {name: resolve_path(event, path) for name, path in paths_map.items()}
    rendered: list[str] = []
    in_string = escaped = False
    position = 0
    while position < len(input_template):
        placeholder = PLACEHOLDER.match(input_template, position)
        if placeholder and placeholder.group(1) in values:
            value = values[placeholder.group(1)]
            rendered.append(splice_into_string(value) if in_string else json.dumps(value))
            position = placeholder.end()
            continue
        char = input_template[position]
        rendered.append(char)
        if escaped:
            escaped = False
        elif in_string and char == "\\":
            escaped = True
        elif char == '"':
            in_string = not in_string
        position += 1
    return "".join(rendered)


def notification_targets(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (rule, target) for rule in NOTIFICATION_RULES for target in resources[rule]["Properties"]["Targets"]
    ]


def cases(resources: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(rule, source, target, detail-type) for every target and every detail-type its rule routes."""
    found = []
    for rule, target in notification_targets(resources):
        pattern = resources[rule]["Properties"]["EventPattern"]
        for detail_type in pattern["detail-type"]:
            found.append((rule, pattern["source"][0], target, detail_type))
    return found


def publish_body(target: dict[str, Any], event: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Render a target for an event and parse it as AppSync Events does: (channel, parsed notifications)."""
    transformer = target["InputTransformer"]
    body = json.loads(
        render_input_template(transformer["InputTemplate"], transformer["InputPathsMap"], event)
    )
    assert set(body) == {"channel", "events"}
    assert all(isinstance(e, str) for e in body["events"])
    return body["channel"], [json.loads(e) for e in body["events"]]


def named_event(source: str) -> dict[str, Any]:
    """An event whose every value is the name of the notification key it should fill."""
    envelope = {envelope_key: key for key, envelope_key in FROM_ENVELOPE.items()}
    return {**envelope, "source": source, "detail": NAMED_FIELDS}


def declared_channel(target: dict[str, Any], source: str, detail_type: str) -> str:
    """The declared channel template to which `target` publishes `detail_type`."""
    channel, _ = publish_body(target, named_event(source))
    channels = NOTIFICATIONS[detail_type].every_channel
    by_name = {template.format_map(NAMED_FIELDS): template for template in channels}
    assert channel in by_name, f"{target['Id']} sends {detail_type} to {channel}, not a declared channel"
    return by_name[channel]


def expected_notification(event: dict[str, Any], channel: str) -> dict[str, Any]:
    """What the contract says a subscriber of `channel` receives for `event`, keys in declared order."""
    keys = NOTIFICATIONS[event["detail-type"]].keys_on(channel)
    return {key: event[FROM_ENVELOPE[key]] if key in FROM_ENVELOPE else event["detail"][key] for key in keys}


def test_every_target_carries_exactly_the_declared_fields_to_a_declared_channel(
    resources: dict[str, Any],
) -> None:
    sent: dict[str, list[str]] = {detail_type: [] for detail_type in NOTIFICATIONS}
    for rule, source, target, detail_type in cases(resources):
        notification = NOTIFICATIONS[detail_type]
        assert source == notification.source, rule
        channel = declared_channel(target, source, detail_type)
        _, (body,) = publish_body(target, named_event(source))
        keys = notification.keys_on(channel)
        assert tuple(body) == keys, (rule, target["Id"])
        named = {key: key if key in FROM_ENVELOPE else NAMED_FIELDS[key] for key in keys}
        assert body == named, (rule, target["Id"])  # each key is filled from its own field
        sent[detail_type].append(channel)
    assert {detail_type: sorted(channels) for detail_type, channels in sent.items()} == {
        detail_type: sorted(notification.every_channel) for detail_type, notification in NOTIFICATIONS.items()
    }


def test_every_placeholder_is_defined_and_every_variable_used(resources: dict[str, Any]) -> None:
    targets = notification_targets(resources)
    assert len(targets) == 6
    for rule, target in targets:
        transformer = target["InputTransformer"]
        used = set(PLACEHOLDER.findall(transformer["InputTemplate"]))
        assert used == set(transformer["InputPathsMap"]), (rule, target["Id"])
        assert "\n" not in transformer["InputTemplate"], (rule, target["Id"])
        assert len(transformer["InputTemplate"]) <= 8192


def test_every_target_renders_a_valid_publish_body_for_the_sample_events(resources: dict[str, Any]) -> None:
    checked = set()
    for rule, source, target, detail_type in cases(resources):
        event = envelope(source, detail_type, SAMPLE_DETAILS[detail_type])
        channel, notifications = publish_body(target, event)
        declared = declared_channel(target, source, detail_type)
        assert channel == declared.format_map(event["detail"]), (rule, target["Id"])
        assert notifications == [expected_notification(event, declared)], (
            rule,
            target["Id"],
            detail_type,
        )
        checked.add(detail_type)
    assert checked == set(NOTIFICATIONS)


def test_numbers_travel_as_json_numbers(resources: dict[str, Any]) -> None:
    (market_target, _) = resources["ConfigurationValidatedRule"]["Properties"]["Targets"]
    event = envelope(
        "vehicle-config.validation", "ConfigurationValidated", SAMPLE_DETAILS["ConfigurationValidated"]
    )
    _, (notification,) = publish_body(market_target, event)
    assert notification["violationCount"] == 0
    assert notification["warningCount"] == 12


def test_a_quote_in_a_value_breaks_the_body_which_is_why_the_catalog_restricts_scalars(
    resources: dict[str, Any],
) -> None:
    (target,) = resources["SupplyConstraintRule"]["Properties"]["Targets"]
    detail = {**SAMPLE_DETAILS["SupplyConstraintRaised"], "partNumber": 'BAT"7731'}
    with pytest.raises(json.JSONDecodeError):
        publish_body(target, envelope("vehicle-config.supply.checked", "SupplyConstraintRaised", detail))


def test_the_sample_entries_files_render_valid_bodies_on_every_matching_target(
    resources: dict[str, Any],
) -> None:
    entries = [
        as_the_rules_see_it(entry)
        for path in sorted((REPO / "events" / "put-events").glob("*.json"))
        for entry in json.loads(path.read_text(encoding="utf-8"))
    ]
    rendered = set()
    for rule, source, target, detail_type in cases(resources):
        for entry_source, entry_detail_type, detail in entries:
            if (entry_source, entry_detail_type) != (source, detail_type):
                continue
            event = envelope(source, detail_type, detail)
            channel, notifications = publish_body(target, event)
            declared = declared_channel(target, source, detail_type)
            assert channel == declared.format_map(event["detail"]), (rule, target["Id"])
            assert notifications == [expected_notification(event, declared)], (rule, target["Id"], detail)
            rendered.add(detail_type)
    assert rendered == set(NOTIFICATIONS), "events/put-events lacks an entries file for some detail-type"


def as_the_rules_see_it(entry: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(source, detail-type, detail) of the event the notification rules get for an entry: a supply
    system's entry goes through the supply ingress first, which must admit the sample."""
    detail = json.loads(entry["Detail"])
    if entry["Source"] != SUPPLY_SOURCE:
        return entry["Source"], entry["DetailType"], detail
    admitted = admit(entry["Source"], entry["DetailType"], detail)
    assert isinstance(admitted, Admitted), (entry, admitted)
    return admitted.event.source, admitted.event.detail_type, dict(admitted.event.detail)


CLIENT_SCALAR = st.from_regex(r"[A-Za-z0-9._:-]{1,40}", fullmatch=True)
SEGMENT = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,48}[A-Za-z0-9])?", fullmatch=True)


def detail_strategy(detail_type: str, channel: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        field: SEGMENT
        if field in CHANNEL_SEGMENT_FIELDS
        else st.integers(min_value=0, max_value=10_000)
        if field in COUNT_FIELDS
        else CLIENT_SCALAR
        for field in NOTIFICATIONS[detail_type].keys_on(channel)
        if field not in FROM_ENVELOPE
    }
    return st.fixed_dictionaries(fields)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_catalog_conforming_event_renders_a_valid_body_on_every_target(
    resources: dict[str, Any], data: st.DataObject
) -> None:
    for rule, source, target, detail_type in cases(resources):
        declared = declared_channel(target, source, detail_type)
        detail = data.draw(detail_strategy(detail_type, declared), label=detail_type)
        event = envelope(source, detail_type, detail)
        channel, notifications = publish_body(target, event)
        assert channel == declared.format_map(detail), rule
        assert notifications == [expected_notification(event, declared)], rule
