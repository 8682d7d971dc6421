"""Time for the local cloud's schedules: clocks (the system's, or one sped up for tests), schedule expressions
(`rate`, `cron`, `at`) as AWS reads them, and the timetable that fires them, remembering across restarts what
it already fired. EventBridge's scheduled rules and EventBridge Scheduler's schedules both run on it."""

from vcn.timetable.clock import Clock, ScaledClock, SystemClock, clock_for
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
