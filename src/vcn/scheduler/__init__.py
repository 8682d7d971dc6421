"""The local EventBridge Scheduler: schedules (`rate`, `cron`, one-time `at`, in a time zone, within start and
end dates) that invoke a Lambda function or put an event on a bus, with retries and dead-letter queues.

`ScheduleConfig` is what it runs (the template loader builds them from `AWS::Scheduler::Schedule`);
`SchedulerService` runs them on a clock (`vcn.timetable`). The Scheduler API itself is not emulated.
"""

from vcn.scheduler.config import (
    DEFAULT_GROUP,
    DISABLED,
    ENABLED,
    FLEXIBLE,
    OFF,
    EventBridgeParameters,
    RetryPolicy,
    ScheduleConfig,
    ScheduleTarget,
)
from vcn.scheduler.schedules import InvalidSchedule
from vcn.scheduler.service import SchedulerService

__all__ = [
    "DEFAULT_GROUP",
    "DISABLED",
    "ENABLED",
    "FLEXIBLE",
    "OFF",
    "EventBridgeParameters",
    "InvalidSchedule",
    "RetryPolicy",
    "ScheduleConfig",
    "ScheduleTarget",
    "SchedulerService",
]
