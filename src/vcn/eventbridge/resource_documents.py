"""Resources as JSON documents for the resource store, and back.

Each document records its origin: `template` for what the template declared (recreated from the template at
every start, so these documents only remember ARNs) or `api` for what was created through the API.
Rules are kept with their bus; a rule's targets as PutTargets received them. Archives name their bus by ARN
(their events are in the archive store); replays are all `api`, with their progress.
"""

from __future__ import annotations

from typing import Any

from vcn import arns
from vcn.eventbridge.archive_operations import archive_arn
from vcn.eventbridge.archives import Archive
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
    return {
        "origin": origin,
        "name": connection.name,
        "arn": connection.arn,
        "authorizationType": connection.authorization_type,
        "authParameters": connection.auth_parameters,
        "description": connection.description,
        "secretArn": connection.secret_arn,
        "created": connection.created,
        "modified": connection.modified,
        "stateReason": connection.state_reason,
        "lastAuthorized": connection.last_authorized,
        "credentialsRemoved": connection.credentials_removed,
        "kmsKeyIdentifier": connection.kms_key_identifier,
        "connectivity": connection.connectivity,
    }


def restore_connection(document: dict[str, Any]) -> Connection:
    return Connection(
        name=document["name"],
        arn=document["arn"],
        authorization_type=document["authorizationType"],
        auth_parameters=document["authParameters"],
        description=document.get("description"),
        secret_arn=document["secretArn"],
        created=document["created"],
        modified=document["modified"],
        state_reason=document.get("stateReason"),
        last_authorized=document.get("lastAuthorized"),
        credentials_removed=bool(document.get("credentialsRemoved")),
        kms_key_identifier=document.get("kmsKeyIdentifier"),
        connectivity=document.get("connectivity"),
    )


def api_destination_document(destination: ApiDestination, origin: str) -> dict[str, Any]:
    return {
        "origin": origin,
        "name": destination.name,
        "arn": destination.arn,
        "connectionArn": destination.connection_arn,
        "invocationEndpoint": destination.invocation_endpoint,
        "httpMethod": destination.http_method,
        "rateLimitPerSecond": destination.rate_limit_per_second,
        "description": destination.description,
        "created": destination.created,
        "modified": destination.modified,
    }


def restore_api_destination(document: dict[str, Any]) -> ApiDestination:
    return ApiDestination(
        name=document["name"],
        arn=document["arn"],
        connection_arn=document["connectionArn"],
        invocation_endpoint=document["invocationEndpoint"],
        http_method=document["httpMethod"],
        rate_limit_per_second=document["rateLimitPerSecond"],
        description=document.get("description"),
        created=document["created"],
        modified=document["modified"],
    )


def archive_document(archive: Archive, origin: str) -> dict[str, Any]:
    return {
        "origin": origin,
        "name": archive.name,
        "sourceArn": archive.source_arn,
        "eventPattern": archive.event_pattern,
        "retentionDays": archive.retention_days,
        "description": archive.description,
        "kmsKeyIdentifier": archive.kms_key_identifier,
        "created": archive.created,
    }


def restore_archive(document: dict[str, Any], bus: EventBus, region: str, account: str) -> Archive:
    pattern_text = document.get("eventPattern")
    return Archive(
        name=document["name"],
        arn=archive_arn(region, account, document["name"]),
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
    return {
        "origin": API,
        "name": replay.name,
        "arn": replay.arn,
        "description": replay.description,
        "archiveArn": replay.archive_arn,
        "archiveName": replay.archive_name,
        "eventStart": replay.event_start,
        "eventEnd": replay.event_end,
        "destination": replay.destination,
        "state": replay.state,
        "stateReason": replay.state_reason,
        "replayStart": replay.replay_start,
        "replayEnd": replay.replay_end,
        "lastReplayed": replay.last_replayed,
    }


def restore_replay(document: dict[str, Any]) -> Replay:
    return Replay(
        name=document["name"],
        arn=document["arn"],
        description=document.get("description"),
        archive_arn=document["archiveArn"],
        archive_name=document["archiveName"],
        event_start=document["eventStart"],
        event_end=document["eventEnd"],
        destination=document["destination"],
        state=document["state"],
        state_reason=document.get("stateReason"),
        replay_start=document["replayStart"],
        replay_end=document.get("replayEnd"),
        last_replayed=document.get("lastReplayed"),
    )
