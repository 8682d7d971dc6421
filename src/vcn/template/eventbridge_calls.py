"""EventBridge resources of the template as the AWS API requests that create them, in dependency order.

CloudFormation property names of EventBus, Connection, ApiDestination and Rule/Targets are the API's names
(an Archive's SourceArn is CreateArchive's EventSourceArn), so the work here is: resolve, serialize
EventPattern to JSON, make numbers numbers, and order the calls.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .errors import Location
from .local_values import LocalResources

EventBridgeCall = tuple[str, dict[str, Any]]

_TARGET_NUMBERS = {("RetryPolicy", "MaximumRetryAttempts"), ("RetryPolicy", "MaximumEventAgeInSeconds")}


def _copy(props: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: props[key] for key in keys if key in props and props[key] is not None}


def _number(value: Any, at: Location) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise at.error(f"{value!r} is not a number") from None


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _target(raw: Any, at: Location) -> dict[str, Any]:
    if not isinstance(raw, dict) or "Id" not in raw or "Arn" not in raw:
        raise at.error("a target needs Id and Arn")
    target = dict(raw)
    for section, key in _TARGET_NUMBERS:
        if isinstance(target.get(section), dict) and key in target[section]:
            target[section] = {
                **target[section],
                key: _number(target[section][key], at.child(section).child(key)),
            }
    if "Input" in target:
        target["Input"] = _json_text(target["Input"])
    transformer = target.get("InputTransformer")
    if isinstance(transformer, dict) and "InputTemplate" in transformer:
        target["InputTransformer"] = {
            **transformer,
            "InputTemplate": _json_text(transformer["InputTemplate"]),
        }
    return target


def extract_eventbridge_calls(
    resources: LocalResources, by_type: Callable[[str], list[str]]
) -> list[EventBridgeCall]:
    """CreateEventBus*, CreateArchive*, CreateConnection*, CreateApiDestination*, then PutRule+PutTargets per
    rule."""
    calls: list[EventBridgeCall] = []

    resolved = resources.resolved_properties

    for lid in by_type("AWS::Events::EventBus"):
        props = resolved(lid)
        calls.append(
            (
                "CreateEventBus",
                {
                    "Name": resources.name(lid, "Name"),
                    **_copy(props, ("Description", "DeadLetterConfig", "KmsKeyIdentifier")),
                },
            )
        )

    for lid in by_type("AWS::Events::Archive"):
        props = resolved(lid)
        if "SourceArn" not in props:
            raise Location(lid, ("SourceArn",)).error("SourceArn is required (e.g. !GetAtt <EventBus>.Arn)")
        archive: dict[str, Any] = {
            "ArchiveName": resources.name(lid, "ArchiveName"),
            "EventSourceArn": props["SourceArn"],
            **_copy(props, ("Description", "KmsKeyIdentifier")),
        }
        if "EventPattern" in props:
            archive["EventPattern"] = _json_text(props["EventPattern"])
        if "RetentionDays" in props:
            archive["RetentionDays"] = _number(props["RetentionDays"], Location(lid, ("RetentionDays",)))
        calls.append(("CreateArchive", archive))

    for lid in by_type("AWS::Events::Connection"):
        props = resolved(lid)
        if "AuthorizationType" not in props:
            raise Location(lid, ("AuthorizationType",)).error("AuthorizationType is required")
        request = {
            "Name": resources.name(lid, "Name"),
            **_copy(props, ("AuthorizationType", "AuthParameters", "Description")),
        }
        calls.append(("CreateConnection", request))

    for lid in by_type("AWS::Events::ApiDestination"):
        props = resolved(lid)
        for required in ("ConnectionArn", "InvocationEndpoint", "HttpMethod"):
            if required not in props:
                raise Location(lid, (required,)).error(f"{required} is required")
        request = {
            "Name": resources.name(lid, "Name"),
            **_copy(props, ("ConnectionArn", "InvocationEndpoint", "HttpMethod", "Description")),
        }
        if "InvocationRateLimitPerSecond" in props:
            at = Location(lid, ("InvocationRateLimitPerSecond",))
            request["InvocationRateLimitPerSecond"] = _number(props["InvocationRateLimitPerSecond"], at)
        calls.append(("CreateApiDestination", request))

    for lid in by_type("AWS::Events::Rule"):
        props = resolved(lid)
        at = Location(lid)
        name = resources.name(lid, "Name")
        bus = resources.bus_name_of(props.get("EventBusName"), at.child("EventBusName"))
        if "EventPattern" not in props and "ScheduleExpression" not in props:
            raise at.error("a rule needs EventPattern or ScheduleExpression")
        rule: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
        if "EventPattern" in props:
            rule["EventPattern"] = _json_text(props["EventPattern"])
        rule.update(_copy(props, ("ScheduleExpression", "Description", "RoleArn")))
        calls.append(("PutRule", rule))
        targets = props.get("Targets") or []
        if not isinstance(targets, list):
            raise at.child("Targets").error("Targets must be a list")
        if targets:
            converted = [_target(t, at.child("Targets").child(i)) for i, t in enumerate(targets)]
            calls.append(("PutTargets", {"Rule": name, "EventBusName": bus, "Targets": converted}))
    return calls


async def replay_eventbridge_calls(
    calls: list[EventBridgeCall], call: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Send the calls to an EventBridge service; ARNs the service returns replace the loader's predicted ones.

    The loader predicts connection/destination ARNs for Ref/GetAtt; a service minting its own ids still works.
    """
    predicted = {
        "CreateConnection": ("connection", "ConnectionArn"),
        "CreateApiDestination": ("api-destination", "ApiDestinationArn"),
    }
    renamed: dict[str, str] = {}
    responses = []
    for operation, request in calls:
        body = json.loads(_rename(json.dumps(request), renamed))
        response = await call(operation, body)
        responses.append(response)
        if operation in predicted and isinstance(response, dict):
            kind, key = predicted[operation]
            actual = response.get(key)
            if isinstance(actual, str):
                prefix = actual.split(f":{kind}/", 1)[0]
                guess_prefix = f"{prefix}:{kind}/{body['Name']}/"
                for arn in _arns_in(calls, guess_prefix):
                    if arn != actual:
                        renamed[arn] = actual
    return responses


def _rename(text: str, renamed: Mapping[str, str]) -> str:
    for old, new in renamed.items():
        text = text.replace(old, new)
    return text


def _arns_in(calls: list[EventBridgeCall], prefix: str) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.startswith(prefix) and not value.endswith("/*"):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for _, request in calls:
        walk(request)
    return found
