"""A schedule configuration checked as EventBridge Scheduler checks it, and turned into a timetable schedule:
its expression (`rate`, `cron`, one-time `at`) in its time zone, only between its start and end dates.

FlexibleTimeWindow: with mode FLEXIBLE, AWS invokes the target at some moment within the window after each
tick; locally it is invoked at the start of the window (the tick itself), which AWS may also choose.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vcn.scheduler.config import DISABLED, ENABLED, FLEXIBLE, OFF, ScheduleConfig
from vcn.scheduler.targets import is_event_bus
from vcn.timetable import InvalidScheduleExpression, Schedule, parse_schedule

MAX_RETRY_ATTEMPTS = 185
EVENT_AGE_SECONDS = (60, 86400)
WINDOW_MINUTES = (1, 1440)


class InvalidSchedule(ValueError):
    """A schedule the local Scheduler cannot run; the message names it and says what to change."""


@dataclass(frozen=True)
class Windowed:
    """A schedule that fires only from `start` to `end` (epoch seconds; either may be open).
    A rate counts from `start` when there is one."""

    inner: Schedule
    start: float | None
    end: float | None

    @property
    def text(self) -> str:
        return f"{self.inner.text} from {self.start} until {self.end}"

    @property
    def one_time(self) -> bool:
        return self.inner.one_time

    def next_tick(self, after: float, anchor: float) -> float | None:
        if self.start is not None:
            after, anchor = max(after, self.start - 0.001), self.start
        tick = self.inner.next_tick(after, anchor)
        return None if tick is None or (self.end is not None and tick > self.end) else tick


def timetable_schedule(config: ScheduleConfig) -> Windowed:
    """The schedule to plan for `config`; InvalidSchedule saying what is wrong with it otherwise."""
    _check(config)
    try:
        zone = ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(
            config, f"ScheduleExpressionTimezone {config.timezone!r} is not an IANA time zone"
        ) from None
    try:
        inner = parse_schedule(config.expression, allow_at=True, zone=zone)
    except InvalidScheduleExpression as exc:
        raise _invalid(config, f"ScheduleExpression {config.expression!r} is not valid: {exc}") from None
    return Windowed(inner, config.start_date, config.end_date)


def _check(config: ScheduleConfig) -> None:
    if config.state not in (ENABLED, DISABLED):
        raise _invalid(config, f"State must be {ENABLED} or {DISABLED}, not {config.state!r}")
    if config.flexible_window_mode not in (OFF, FLEXIBLE):
        raise _invalid(config, f"FlexibleTimeWindow.Mode must be {OFF} or {FLEXIBLE}")
    minutes = config.flexible_window_minutes
    if config.flexible_window_mode == FLEXIBLE and (minutes is None or not _within(minutes, WINDOW_MINUTES)):
        raise _invalid(config, "a FLEXIBLE window needs MaximumWindowInMinutes from 1 to 1440")
    policy = config.target.retry_policy
    if not 0 <= policy.maximum_retry_attempts <= MAX_RETRY_ATTEMPTS:
        raise _invalid(config, f"RetryPolicy.MaximumRetryAttempts must be 0 to {MAX_RETRY_ATTEMPTS}")
    if not _within(policy.maximum_event_age_seconds, EVENT_AGE_SECONDS):
        raise _invalid(config, "RetryPolicy.MaximumEventAgeInSeconds must be 60 to 86400")
    if is_event_bus(config.target.arn) and config.target.event_bridge is None:
        raise _invalid(config, "an event bus target needs EventBridgeParameters (Source and DetailType)")
    if config.start_date is not None and config.end_date is not None and config.end_date <= config.start_date:
        raise _invalid(config, "EndDate must be after StartDate")


def _within(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _invalid(config: ScheduleConfig, why: str) -> InvalidSchedule:
    return InvalidSchedule(f"schedule {config.group}/{config.name}: {why}")
