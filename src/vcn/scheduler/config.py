"""What the local EventBridge Scheduler runs: frozen schedule configurations (the template loader builds them
from `AWS::Scheduler::Schedule` resources; nothing here knows CloudFormation)."""

from __future__ import annotations

from dataclasses import dataclass

ENABLED = "ENABLED"
DISABLED = "DISABLED"
FLEXIBLE = "FLEXIBLE"
OFF = "OFF"
DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class RetryPolicy:
    """Scheduler's defaults: 185 retries within 24 hours."""

    maximum_event_age_seconds: int = 86400
    maximum_retry_attempts: int = 185


@dataclass(frozen=True)
class EventBridgeParameters:
    """For a target that is an event bus: the Source and DetailType of the event put on it."""

    source: str
    detail_type: str


@dataclass(frozen=True)
class ScheduleTarget:
    arn: str
    input: str | None = None
    role_arn: str | None = None
    retry_policy: RetryPolicy = RetryPolicy()
    dead_letter_arn: str | None = None  # an SQS queue ARN
    event_bridge: EventBridgeParameters | None = None


@dataclass(frozen=True)
class ScheduleConfig:
    """One schedule: when (`expression` in `timezone`, within start/end dates) and what it invokes."""

    name: str
    arn: str
    expression: str
    target: ScheduleTarget
    group: str = DEFAULT_GROUP
    timezone: str = "UTC"
    state: str = ENABLED
    start_date: float | None = None  # epoch seconds
    end_date: float | None = None
    flexible_window_mode: str = OFF
    flexible_window_minutes: int | None = None
    description: str | None = None

    @property
    def enabled(self) -> bool:
        return self.state != DISABLED
