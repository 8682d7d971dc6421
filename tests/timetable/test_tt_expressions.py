"""Schedule expressions as AWS reads them: what is refused, and when each accepted one fires next."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from vcn.timetable import InvalidScheduleExpression, parse_schedule

# 2025-03-01 is a Saturday.
SATURDAY_AFTERNOON = "2025-03-01T13:07:30+00:00"


def next_fire(
    expression: str, after: str = SATURDAY_AFTERNOON, anchor: str | None = None, **kw: object
) -> str:
    schedule = parse_schedule(expression, **kw)  # type: ignore[arg-type]
    moment = datetime.fromisoformat(after).timestamp()
    tick = schedule.next_tick(moment, datetime.fromisoformat(anchor).timestamp() if anchor else moment)
    return "never" if tick is None else datetime.fromtimestamp(tick, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 12 * * ? *)", "2025-03-02T12:00:00"),
        ("cron(0/15 * * * ? *)", "2025-03-01T13:15:00"),
        ("cron(*/20 * * * ? *)", "2025-03-01T13:20:00"),
        ("cron(5,35 14 * * ? *)", "2025-03-01T14:05:00"),
        ("cron(0 18 ? * MON-FRI *)", "2025-03-03T18:00:00"),
        ("cron(0 18 ? * mon-fri *)", "2025-03-03T18:00:00"),
        ("cron(0 9 ? * FRI-MON *)", "2025-03-02T09:00:00"),  # a range that wraps: Fri, Sat, Sun, Mon
        ("cron(0 8 1 * ? *)", "2025-04-01T08:00:00"),
        ("cron(0 0 L * ? *)", "2025-03-31T00:00:00"),
        ("cron(0 0 LW * ? *)", "2025-03-31T00:00:00"),
        ("cron(0 0 1W * ? *)", "2025-03-03T00:00:00"),  # the 1st is a Saturday: Monday the 3rd
        ("cron(0 0 15W * ? *)", "2025-03-14T00:00:00"),  # the 15th is a Saturday: Friday the 14th
        ("cron(0 0 ? * 2#1 *)", "2025-03-03T00:00:00"),  # first Monday
        ("cron(0 0 ? * MON#2 *)", "2025-03-10T00:00:00"),
        ("cron(0 0 ? * 6L *)", "2025-03-28T00:00:00"),  # last Friday
        ("cron(0 0 ? * L *)", "2025-03-08T00:00:00"),  # L alone: Saturday, the last day of the week
        ("cron(0 10 1 JAN,JUL ? *)", "2025-07-01T10:00:00"),
        ("cron(0 0 1 1 ? 2027-2030)", "2027-01-01T00:00:00"),
        ("cron(0 0 1 1/6 ? *)", "2025-07-01T00:00:00"),
        ("cron(0 0 30 FEB ? *)", "never"),
        ("cron(0 0 1 1 ? 2020)", "never"),
        ("rate(1 minute)", "2025-03-01T13:08:30"),
        ("rate(5 minutes)", "2025-03-01T13:12:30"),
        ("rate(2 hours)", "2025-03-01T15:07:30"),
        ("rate(1 day)", "2025-03-02T13:07:30"),
    ],
)
def test_accepted_expression_fires_next_at(expression: str, expected: str) -> None:
    assert next_fire(expression) == expected


def test_a_rate_counts_from_its_anchor_not_from_now() -> None:
    assert next_fire("rate(5 minutes)", anchor="2025-03-01T13:00:00+00:00") == "2025-03-01T13:10:00"
    assert next_fire("rate(1 hour)", anchor="2025-03-01T00:30:00+00:00") == "2025-03-01T13:30:00"


def test_the_next_tick_is_strictly_after_the_given_moment() -> None:
    assert next_fire("cron(0 12 * * ? *)", after="2025-03-01T12:00:00+00:00") == "2025-03-02T12:00:00"


def test_cron_reads_wall_clock_time_in_its_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 08:00 in Berlin is 07:00 UTC in winter and 06:00 UTC in summer (DST from 30 March 2025).
    assert next_fire("cron(0 8 * * ? *)", zone=berlin) == "2025-03-02T07:00:00"
    assert (
        next_fire("cron(0 8 * * ? *)", after="2025-03-30T05:00:00+00:00", zone=berlin)
        == "2025-03-30T06:00:00"
    )


def test_at_fires_once_and_only_where_allowed() -> None:
    assert next_fire("at(2025-03-01T14:00:00)", allow_at=True) == "2025-03-01T14:00:00"
    assert next_fire("at(2025-03-01T13:00:00)", allow_at=True) == "never"
    assert parse_schedule("at(2025-03-01T14:00:00)", allow_at=True).one_time
    with pytest.raises(InvalidScheduleExpression):
        parse_schedule("at(2025-03-01T14:00:00)")


@pytest.mark.parametrize(
    "expression",
    [
        "cron(INVALID)",
        "rate(10 seconds)",
        "rate(1 second)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(-5 minutes)",
        "rate(1.5 hours)",
        "rate(5 weeks)",
        "rate(5minutes)",
        "rate 5 minutes",
        "cron(0 12 * * ?)",  # five fields
        "cron(0 0 12 * * ? *)",  # seven fields (no seconds field)
        "cron(0 12 * * * *)",  # neither day field is ?
        "cron(0 12 ? * ? *)",  # both are
        "cron(60 * * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 1 13 ? *)",
        "cron(0 0 1 FOO ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? * MON/2 *)",  # no step in day-of-week
        "cron(0 0 ? * 2#6 *)",
        "cron(0 0 1 1 ? 1969)",
        "cron(0 0 1 1 ? 2200)",
        "cron(0/0 * * * ? *)",
        "cron(0/61 * * * ? *)",
        "cron(1,,2 * * * ? *)",
        "cron(0 0 1W,15 * ? *)",
        "at(2025-03-01T14:00:00)",  # rules take no one-time schedule
        "every 5 minutes",
        "",
    ],
)
def test_invalid_expression_is_refused_with_a_reason(expression: str) -> None:
    with pytest.raises(InvalidScheduleExpression) as refused:
        parse_schedule(expression)
    assert str(refused.value)
