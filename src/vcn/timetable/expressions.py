"""Schedule expressions: `rate(...)`, `cron(...)` and, for EventBridge Scheduler, the one-time `at(...)`.

- `rate(<n> <unit>)`: n a positive whole number, unit `minute`, `hour` or `day`, singular exactly when n is 1
  (`rate(1 hour)`, `rate(5 minutes)`; `rate(1 minutes)`, `rate(10 seconds)` are refused). A rate counts from
  its anchor, the moment the schedule was created (UNCONFIRMED: AWS documents only that a rate "starts when
  you create the rule"; the first firing is taken to be one period later).
- `cron(<6 fields>)`: see `cron`.
- `at(yyyy-mm-ddThh:mm:ss)`: once, at that wall-clock time.

Every schedule answers `next_tick(after, anchor)`: the first firing strictly after `after`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from vcn.timetable.cron import InvalidCron, parse_cron

_RATE = re.compile(r"rate\((?P<value>[0-9]+) (?P<unit>minutes?|hours?|days?)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"at\((?P<moment>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)")


class InvalidScheduleExpression(ValueError):
    """Not a schedule expression AWS accepts; the message says why."""


class Schedule(Protocol):
    @property
    def text(self) -> str:
        """The expression, as written."""
        ...

    @property
    def one_time(self) -> bool:
        """True when it fires once at most."""
        ...

    def next_tick(self, after: float, anchor: float) -> float | None:
        """The first firing strictly after `after` (epoch seconds), None when there is none."""
        ...


@dataclass(frozen=True)
class RateSchedule:
    text: str
    period_seconds: int

    one_time = False

    def next_tick(self, after: float, anchor: float) -> float | None:
        periods = max(1, int((after - anchor) // self.period_seconds) + 1)
        return anchor + periods * self.period_seconds


@dataclass(frozen=True)
class AtSchedule:
    text: str
    moment: float

    one_time = True

    def next_tick(self, after: float, anchor: float) -> float | None:
        return self.moment if self.moment > after else None


def parse_schedule(text: str, *, allow_at: bool = False, zone: tzinfo = UTC) -> Schedule:
    """The schedule `text` describes; InvalidScheduleExpression saying why when it describes none.

    `allow_at`: accept one-time `at(...)` (EventBridge Scheduler; rules do not). `zone`: the time zone of
    cron and at wall-clock times."""
    if text.startswith("rate("):
        return _rate(text)
    if text.startswith("cron(") and text.endswith(")"):
        try:
            return parse_cron(text, text[len("cron(") : -1], zone)
        except InvalidCron as exc:
            raise InvalidScheduleExpression(str(exc)) from None
    if allow_at and text.startswith("at("):
        return _at(text, zone)
    kinds = "rate(...), cron(...) or at(...)" if allow_at else "rate(...) or cron(...)"
    raise InvalidScheduleExpression(f"a schedule expression is {kinds}")


def _rate(text: str) -> RateSchedule:
    found = _RATE.fullmatch(text)
    if found is None:
        raise InvalidScheduleExpression(
            "a rate is rate(<n> minute|minutes|hour|hours|day|days), e.g. rate(5 minutes)"
        )
    value, unit = int(found["value"]), found["unit"]
    if value < 1:
        raise InvalidScheduleExpression("a rate's value must be a positive whole number")
    if (value == 1) != (not unit.endswith("s")):
        raise InvalidScheduleExpression(
            f"the unit is singular for 1 and plural otherwise: rate({value} {_unit_for(value, unit)})"
        )
    return RateSchedule(text, value * _UNIT_SECONDS[unit.removesuffix("s")])


def _unit_for(value: int, unit: str) -> str:
    singular = unit.removesuffix("s")
    return singular if value == 1 else f"{singular}s"


def _at(text: str, zone: tzinfo) -> AtSchedule:
    found = _AT.fullmatch(text)
    if found is None:
        raise InvalidScheduleExpression("a one-time schedule is at(yyyy-mm-ddThh:mm:ss)")
    try:
        moment = datetime.fromisoformat(found["moment"]).replace(tzinfo=zone)
    except ValueError:
        raise InvalidScheduleExpression(f"{found['moment']} is not a date and time") from None
    return AtSchedule(text, moment.timestamp())
