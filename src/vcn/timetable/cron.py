"""Cron expressions as EventBridge reads them, and the next time one fires.

Six fields, `minutes hours day-of-month month day-of-week year`:

| field | values | wildcards |
|---|---|---|
| minutes | 0-59 | , - * / |
| hours | 0-23 | , - * / |
| day-of-month | 1-31 | , - * ? / L W |
| month | 1-12 or JAN-DEC | , - * / |
| day-of-week | 1-7 or SUN-SAT (1 = Sunday) | , - * ? L # |
| year | 1970-2199 | , - * / |

Exactly one of day-of-month and day-of-week is `?`. `L` is the last day of the month (`LW` its last weekday)
or, alone in day-of-week, Saturday; `5L` the month's last Thursday; `3W` the weekday nearest the 3rd (within
the month); `2#1` the month's first Monday. Names are case-insensitive; a range may wrap (`FRI-MON`); a step
may follow `*`, a value or a range and may not exceed the field's largest value. Times are wall-clock times
in the expression's time zone (UTC for EventBridge rules); the finest granularity is one minute.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

MONTH_NAMES = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
FIRST_YEAR, LAST_YEAR = 1970, 2199
SATURDAY = 7


class InvalidCron(ValueError):
    """The text is not a cron expression EventBridge accepts; the message says which part and why."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: Mapping[str, int]


MINUTES = _Field("minutes", 0, 59, {})
HOURS = _Field("hours", 0, 23, {})
DAY_OF_MONTH = _Field("day-of-month", 1, 31, {})
MONTH = _Field("month", 1, 12, MONTH_NAMES)
DAY_OF_WEEK = _Field("day-of-week", 1, 7, DAY_NAMES)
YEAR = _Field("year", FIRST_YEAR, LAST_YEAR, {})


def cron_weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday, as cron counts."""
    return (day.weekday() + 1) % 7 + 1


@dataclass(frozen=True)
class DaysOfMonth:
    """The day-of-month field: listed days, or one of `L`, `LW`, `<n>W`."""

    days: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest_weekday: int | None = None

    def matches(self, day: date) -> bool:
        length = calendar.monthrange(day.year, day.month)[1]
        if self.last:
            return day.day == length
        if self.last_weekday:
            return day.day == _nearest_weekday(day.year, day.month, length, length)
        if self.nearest_weekday is not None:
            if self.nearest_weekday > length:
                return False
            return day.day == _nearest_weekday(day.year, day.month, self.nearest_weekday, length)
        return day.day in self.days


@dataclass(frozen=True)
class DaysOfWeek:
    """The day-of-week field: listed weekdays, or one of `<d>L` (last <d> of the month), `<d>#<n>`."""

    days: frozenset[int] = frozenset()
    last_of: int | None = None
    nth: tuple[int, int] | None = None

    def matches(self, day: date) -> bool:
        weekday = cron_weekday(day)
        if self.last_of is not None:
            return weekday == self.last_of and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        if self.nth is not None:
            wanted, n = self.nth
            return weekday == wanted and (day.day - 1) // 7 + 1 == n
        return weekday in self.days


def _nearest_weekday(year: int, month: int, target: int, length: int) -> int:
    """The weekday (Mon-Fri) nearest to day `target`, without leaving the month."""
    weekday = cron_weekday(date(year, month, target))
    if weekday == SATURDAY:
        return target - 1 if target > 1 else target + 2
    if weekday == 1:  # Sunday
        return target + 1 if target < length else target - 2
    return target


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression (`text` is the whole `cron(...)`), firing on whole minutes in `zone`."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: DaysOfMonth | None  # None: `?`
    months: frozenset[int]
    days_of_week: DaysOfWeek | None  # None: `?`
    years: frozenset[int]
    zone: tzinfo = UTC

    one_time = False

    def next_tick(self, after: float, anchor: float) -> float | None:
        """The first firing strictly after `after` (epoch seconds); None when the expression has no more."""
        del anchor  # cron times are absolute
        start = datetime.fromtimestamp(after, self.zone).replace(second=0, microsecond=0, tzinfo=None)
        for moment in self._moments_from(start + timedelta(minutes=1)):
            tick = moment.replace(tzinfo=self.zone).timestamp()
            if tick > after:  # a wall-clock time repeated by a DST change can map to an earlier instant
                return tick
        return None

    def _day_matches(self, day: date) -> bool:
        if self.days_of_month is not None:
            return self.days_of_month.matches(day)
        return self.days_of_week is not None and self.days_of_week.matches(day)

    def _moments_from(self, start: datetime) -> Iterator[datetime]:
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        for year in sorted(y for y in self.years if y >= start.year):
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                first = start.day if (year, month) == (start.year, start.month) else 1
                for day_number in range(first, calendar.monthrange(year, month)[1] + 1):
                    day = date(year, month, day_number)
                    if not self._day_matches(day):
                        continue
                    same_day = day == start.date()
                    for hour in hours:
                        if same_day and hour < start.hour:
                            continue
                        for minute in minutes:
                            if same_day and hour == start.hour and minute < start.minute:
                                continue
                            yield datetime(year, month, day_number, hour, minute)


def parse_cron(text: str, fields_text: str, zone: tzinfo = UTC) -> CronSchedule:
    """The schedule of `cron(<fields_text>)`; InvalidCron saying what is wrong otherwise."""
    fields = fields_text.split()
    if len(fields) != 6:
        raise InvalidCron(
            f"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}"
        )
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidCron("exactly one of day-of-month and day-of-week must be '?'")
    return CronSchedule(
        text=text,
        minutes=_values(minutes, MINUTES),
        hours=_values(hours, HOURS),
        days_of_month=None if day_of_month == "?" else _days_of_month(day_of_month),
        months=_values(month, MONTH),
        days_of_week=None if day_of_week == "?" else _days_of_week(day_of_week),
        years=_values(year, YEAR),
        zone=zone,
    )


def _days_of_month(text: str) -> DaysOfMonth:
    upper = text.upper()
    if upper == "L":
        return DaysOfMonth(last=True)
    if upper == "LW":
        return DaysOfMonth(last_weekday=True)
    if upper.endswith("W"):
        return DaysOfMonth(nearest_weekday=_number(upper[:-1], DAY_OF_MONTH))
    return DaysOfMonth(days=_values(text, DAY_OF_MONTH))


def _days_of_week(text: str) -> DaysOfWeek:
    upper = text.upper()
    if upper == "L":
        return DaysOfWeek(days=frozenset({SATURDAY}))
    if "#" in upper:
        day, _, n = upper.partition("#")
        if not _is_digits(n) or not 1 <= int(n) <= 5:
            raise InvalidCron(f"day-of-week {text!r}: the number after '#' must be 1 to 5")
        return DaysOfWeek(nth=(_number(day, DAY_OF_WEEK), int(n)))
    if upper.endswith("L"):
        return DaysOfWeek(last_of=_number(upper[:-1], DAY_OF_WEEK))
    return DaysOfWeek(days=_values(text, DAY_OF_WEEK))


def _values(text: str, field: _Field) -> frozenset[int]:
    """A field of numbers, names, `*`, ranges, steps and lists, as the set of values it selects."""
    selected: set[int] = set()
    for part in text.split(","):
        if not part:
            raise InvalidCron(f"{field.name} {text!r} has an empty list item")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if field is DAY_OF_WEEK:
                raise InvalidCron(f"day-of-week {text!r}: '/' is not allowed in day-of-week")
            if not _is_digits(step_text) or not 1 <= int(step_text) <= field.high:
                raise InvalidCron(f"{field.name} {text!r}: a step must be 1 to {field.high}")
            step = int(step_text)
        if base == "*":
            first, last = field.low, field.high
        elif "-" in base:
            low_text, _, high_text = base.partition("-")
            first, last = _number(low_text, field), _number(high_text, field)
        else:
            first = _number(base, field)
            last = field.high if slash else first
        # A range whose end comes before its start wraps around (FRI-MON, 22-2).
        span = (
            [*range(first, last + 1)]
            if first <= last
            else [*range(first, field.high + 1), *range(field.low, last + 1)]
        )
        selected.update(span[::step])
    return frozenset(selected)


def _number(text: str, field: _Field) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.names[upper]
    if not _is_digits(upper):
        raise InvalidCron(f"{field.name}: {text!r} is not a number{' or a name' if field.names else ''}")
    value = int(upper)
    if not field.low <= value <= field.high:
        raise InvalidCron(f"{field.name}: {value} is outside {field.low}-{field.high}")
    return value


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
