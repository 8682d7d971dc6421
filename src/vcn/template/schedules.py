"""`AWS::Scheduler::Schedule` resources as the local Scheduler's `ScheduleConfig`s.

Property names follow CloudFormation; numbers become numbers, dates (ISO 8601) epoch seconds, an Input given
as an object its JSON text. Whether an expression, time zone or retry policy is valid is the Scheduler's to
say when it starts (`vcn.scheduler`), not the loader's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from vcn.scheduler import (
    DEFAULT_GROUP,
    ENABLED,
    OFF,
    EventBridgeParameters,
    RetryPolicy,
    ScheduleConfig,
    ScheduleTarget,
)

from .errors import Location
from .local_values import LocalResources

SCHEDULE = "AWS::Scheduler::Schedule"


def schedule_arn(resources: LocalResources, group: str, name: str) -> str:
    return resources.arn("scheduler", f"schedule/{group}/{name}")


def extract_schedules(resources: LocalResources, by_type: Callable[[str], list[str]]) -> list[ScheduleConfig]:
    return [_schedule(resources, lid) for lid in by_type(SCHEDULE)]


def _schedule(resources: LocalResources, lid: str) -> ScheduleConfig:
    props = resources.resolved_properties(lid)
    at = Location(lid)
    name = resources.name(lid, "Name")
    group = str(props.get("GroupName") or DEFAULT_GROUP)
    window = _mapping(props.get("FlexibleTimeWindow"), at.child("FlexibleTimeWindow"), required=True)
    minutes = window.get("MaximumWindowInMinutes")
    return ScheduleConfig(
        name=name,
        arn=schedule_arn(resources, group, name),
        expression=_text(props.get("ScheduleExpression"), at.child("ScheduleExpression")),
        target=_target(props.get("Target"), at.child("Target")),
        group=group,
        timezone=str(props.get("ScheduleExpressionTimezone") or "UTC"),
        state=str(props.get("State") or ENABLED),
        start_date=_date(props.get("StartDate"), at.child("StartDate")),
        end_date=_date(props.get("EndDate"), at.child("EndDate")),
        flexible_window_mode=str(window.get("Mode") or OFF),
        flexible_window_minutes=None if minutes is None else _int(minutes, at.child("FlexibleTimeWindow")),
        description=props.get("Description"),
    )


def _target(raw: Any, at: Location) -> ScheduleTarget:
    target = _mapping(raw, at, required=True)
    policy = _mapping(target.get("RetryPolicy"), at.child("RetryPolicy"))
    dead_letter = _mapping(target.get("DeadLetterConfig"), at.child("DeadLetterConfig"))
    bus = _mapping(target.get("EventBridgeParameters"), at.child("EventBridgeParameters"))
    defaults = RetryPolicy()
    raw_input = target.get("Input")
    return ScheduleTarget(
        arn=_text(target.get("Arn"), at.child("Arn")),
        input=raw_input if raw_input is None or isinstance(raw_input, str) else json.dumps(raw_input),
        role_arn=target.get("RoleArn"),
        retry_policy=RetryPolicy(
            maximum_event_age_seconds=_int(
                policy.get("MaximumEventAgeInSeconds", defaults.maximum_event_age_seconds),
                at.child("RetryPolicy").child("MaximumEventAgeInSeconds"),
            ),
            maximum_retry_attempts=_int(
                policy.get("MaximumRetryAttempts", defaults.maximum_retry_attempts),
                at.child("RetryPolicy").child("MaximumRetryAttempts"),
            ),
        ),
        dead_letter_arn=dead_letter.get("Arn"),
        event_bridge=(
            EventBridgeParameters(
                source=_text(bus.get("Source"), at.child("EventBridgeParameters").child("Source")),
                detail_type=_text(
                    bus.get("DetailType"), at.child("EventBridgeParameters").child("DetailType")
                ),
            )
            if bus
            else None
        ),
    )


def _mapping(value: Any, at: Location, *, required: bool = False) -> Mapping[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise at.error("is required and must be an object" if value is None else "must be an object")
    return value


def _text(value: Any, at: Location) -> str:
    if not isinstance(value, str) or not value:
        raise at.error("is required and must be a string")
    return value


def _int(value: Any, at: Location) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise at.error(f"{value!r} is not a whole number") from None


def _date(value: Any, at: Location) -> float | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise at.error(f"{value!r} is not an ISO 8601 date and time, e.g. 2030-01-01T00:00:00Z") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
