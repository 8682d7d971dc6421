"""Time for the local cloud's schedules: schedule expressions (`rate`, `cron`, `at`) as AWS reads them, and
the timetable that fires them on the cloud's clock (`vcn.clock`), remembering across restarts what it
already fired. EventBridge's scheduled rules and EventBridge Scheduler's schedules both run on it."""

from vcn.clock import Clock, ScaledClock, SystemClock, clock_for
from vcn.timetable.expressions import InvalidScheduleExpression, Schedule, parse_schedule
from vcn.timetable.tick_memory import TickMemory
from vcn.timetable.timetable import Timetable

__all__ = [
    "Clock",
    "InvalidScheduleExpression",
    "ScaledClock",
    "Schedule",
    "SystemClock",
    "TickMemory",
    "Timetable",
    "clock_for",
    "parse_schedule",
]
