"""Recording what is published to the analysts' namespaces (the OnPublish handler's use case).

Each event of a publish is the notification exactly as subscribers receive it; it is recorded under its
channel at the position "now", keyed by its eventId so that a replay or a duplicate delivery of the same
notification to the same channel is recorded once. A notification without a usable eventId cannot be
deduplicated or merged by clients: it is reported as unrecordable, and the caller fails the invocation
after recording the rest, so the publish ends up at the recorder's on-failure destination.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vehicle_config.channels import parse_subscription_channel
from vehicle_config.fields import shown
from vehicle_config.history.ports import HistoryEntry, NotificationHistory
from vehicle_config.history.positions import EVENT_ID, MICROS_PER_SECOND, Position

RECORDED_NAMESPACES = ("markets", "users", "plants")
SECONDS_PER_DAY = 86_400

Clock = Callable[[], int]  # epoch microseconds


@dataclass(frozen=True)
class PublishedEvent:
    """One event of a publish as AppSync hands it to the handler: its publish-time id and parsed payload."""

    id: str
    payload: Any


@dataclass(frozen=True)
class Unrecordable:
    event_id: str  # AppSync's id of the event (the payload may have no eventId)
    problem: str


@dataclass
class RecordingOutcome:
    channel: str
    recorded: list[str] = field(default_factory=list)  # eventIds
    duplicates: list[str] = field(default_factory=list)  # eventIds already in the history
    unrecordable: list[Unrecordable] = field(default_factory=list)


class UnrecordableNotifications(RuntimeError):
    """Some events of a publish can never be recorded; the others were."""

    def __init__(self, outcome: RecordingOutcome) -> None:
        self.outcome = outcome
        problems = "; ".join(f"event {u.event_id}: {u.problem}" for u in outcome.unrecordable)
        super().__init__(f"{len(outcome.unrecordable)} events on {outcome.channel} not recorded: {problems}")


def record_published(
    channel: str,
    events: Sequence[PublishedEvent],
    history: NotificationHistory,
    clock: Clock,
    retention_days: int,
) -> RecordingOutcome:
    """Record every recordable event of one publish; store failures propagate, so the publish is retried."""
    outcome = RecordingOutcome(channel)
    channel_problem = _channel_problem(channel)
    for event in events:
        problem = channel_problem or _notification_problem(event.payload)
        if problem is not None:
            outcome.unrecordable.append(Unrecordable(event.id, problem))
            continue
        event_id = event.payload["eventId"]
        now = clock()  # per event: the position is taken right before the write that makes it visible
        entry = HistoryEntry(
            channel=channel,
            position=Position(now, event_id),
            notification=json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False),
            expires_at=now // MICROS_PER_SECOND + retention_days * SECONDS_PER_DAY,
        )
        (outcome.recorded if history.record(entry) else outcome.duplicates).append(event_id)
    return outcome


def _channel_problem(channel: str) -> str | None:
    segments = parse_subscription_channel(channel) if channel.startswith("/") else None
    if segments is None or "*" in segments or len(segments) < 2:
        return f"{channel!r} is not a channel to record (expected /<namespace>/<segment>...)"
    if segments[0] not in RECORDED_NAMESPACES:
        return f"namespace {segments[0]!r} is not recorded (only {', '.join(RECORDED_NAMESPACES)})"
    return None


def _notification_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "the payload is not a JSON object, so it is not a notification"
    event_id = payload.get("eventId")
    if not isinstance(event_id, str) or EVENT_ID.fullmatch(event_id) is None:
        return (
            "eventId must be 1-128 characters of letters, digits, '.', '_', ':' or '-', "
            f"got {shown(event_id)}"
        )
    return None
