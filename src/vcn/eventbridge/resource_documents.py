"""Resources as JSON documents for the resource store, and back.

Each document records its origin: `template` for what the template declared (recreated from the template at
every start, so these documents only remember ARNs) or `api` for what was created through the API.
Rules are kept with their bus; a rule's targets as PutTargets received them. Archives name their bus by ARN
(their events are in the archive store); replays are all `api`, with their progress.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from vcn import arns
from vcn.eventbridge.archives import Archive
from vcn.eventbridge.arns import events_arn
from vcn.eventbridge.model import ApiDestination, Connection, EventBus, Rule
from vcn.eventbridge.replays import Replay
from vcn.eventbridge.rule_operations import check_schedule_expression, compile_event_pattern
from vcn.eventbridge.targets import parse_target

TEMPLATE = "template"
API = "api"


def bus_document(bus: EventBus, origin: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "origin": origin,
        "name": bus.name,
        "arn": bus.arn,
        "description": bus.description,
        "created": bus.created,
        "modified": bus.modified,
        "kmsKeyIdentifier": bus.kms_key_identifier,
        "deadLetterConfig": bus.dead_letter_config,
        "logConfig": bus.log_config,
        "policy": bus.policy,
        "tags": bus.tags,
        "rules": rules,
    }


def restore_bus(bus: EventBus, document: dict[str, Any]) -> None:
    """Give a bus (new, or the default bus) the settings a document recorded."""
    bus.description = document.get("description")
    bus.created = document.get("created", bus.created)
    bus.modified = document.get("modified", bus.modified)
    bus.kms_key_identifier = document.get("kmsKeyIdentifier")
    bus.dead_letter_config = document.get("deadLetterConfig")
    bus.log_config = document.get("logConfig")
    bus.policy = document.get("policy")
    bus.tags = dict(document.get("tags") or {})


def rule_document(rule: Rule, origin: str) -> dict[str, Any]:
    return {
        "origin": origin,
        "name": rule.name,
        "eventPattern": rule.event_pattern,
        "scheduleExpression": rule.schedule_expression,
        "state": rule.state,
        "description": rule.description,
        "roleArn": rule.role_arn,
        "tags": rule.tags,
        "targets": [dict(target.spec) for target in rule.targets.values()],
    }


def restore_rule(document: dict[str, Any], bus: EventBus, region: str, account: str) -> Rule:
    """The rule a document recorded (its pattern compiled and its targets parsed again)."""
    pattern_text = document.get("eventPattern")
    schedule = document.get("scheduleExpression")
    if schedule is not None:
        check_schedule_expression(schedule)  # saved before schedules were validated: refused like PutRule
    targets = [parse_target(spec) for spec in document.get("targets") or []]
    return Rule(
        name=document["name"],
        bus=bus.name,
        arn=arns.rule_arn(region, account, bus.name, document["name"]),
        event_pattern=pattern_text,
        pattern=compile_event_pattern(pattern_text) if pattern_text is not None else None,
        schedule_expression=schedule,
        state=document["state"],
        description=document.get("description"),
        role_arn=document.get("roleArn"),
        account=account,
        targets={target.id: target for target in targets},
        tags=dict(document.get("tags") or {}),
    )


def connection_document(connection: Connection, origin: str) -> dict[str, Any]:
    # Its state is not kept: a restored connection starts AUTHORIZED, as when it was made.
    return {"origin": origin, **_fields_document(connection, leave_out=_CONNECTION_STATE)}


def restore_connection(document: dict[str, Any]) -> Connection:
    return _restore_fields(Connection, document, leave_out=_CONNECTION_STATE)


def api_destination_document(destination: ApiDestination, origin: str) -> dict[str, Any]:
    return {"origin": origin, **_fields_document(destination)}


def restore_api_destination(document: dict[str, Any]) -> ApiDestination:
    return _restore_fields(ApiDestination, document)


def archive_document(archive: Archive, origin: str) -> dict[str, Any]:
    return {"origin": origin, **_fields_document(archive, leave_out=_ARCHIVE_DERIVED)}


def restore_archive(document: dict[str, Any], bus: EventBus, region: str, account: str) -> Archive:
    pattern_text = document.get("eventPattern")
    return Archive(
        name=document["name"],
        arn=events_arn(region, account, "archive", document["name"]),
        source_arn=bus.arn,
        bus=bus.name,
        event_pattern=pattern_text,
        pattern=compile_event_pattern(pattern_text) if pattern_text is not None else None,
        retention_days=int(document.get("retentionDays") or 0),
        description=document.get("description"),
        kms_key_identifier=document.get("kmsKeyIdentifier"),
        created=float(document["created"]),
    )


def replay_document(replay: Replay) -> dict[str, Any]:
    return {"origin": API, **_fields_document(replay)}


def restore_replay(document: dict[str, Any]) -> Replay:
    return _restore_fields(Replay, document)


_CONNECTION_STATE = frozenset({"state"})
# What restore_archive derives again: the ARN from the name, the bus from sourceArn, the compiled pattern.
_ARCHIVE_DERIVED = frozenset({"arn", "bus", "pattern", "state"})
_Resource = TypeVar("_Resource")


def _document_key(field_name: str) -> str:
    """A dataclass field's key in a document: camelCase, as in the API (`rate_limit_per_second` ->
    `rateLimitPerSecond`)."""
    first, *rest = field_name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _fields_document(resource: Any, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every field of a plain resource dataclass, in declaration order, under its document key."""
    return {
        _document_key(field.name): getattr(resource, field.name)
        for field in dataclasses.fields(resource)
        if field.name not in leave_out
    }


def _restore_fields(
    kind: type[_Resource], document: dict[str, Any], *, leave_out: frozenset[str] = frozenset()
) -> _Resource:
    """The resource `_fields_document` recorded; a field the document lacks keeps its default."""
    values = {
        field.name: document[_document_key(field.name)]
        for field in dataclasses.fields(kind)  # type: ignore[arg-type]
        if field.name not in leave_out and _document_key(field.name) in document
    }
    return kind(**values)
