"""API key lifetimes: every AppSync API key must be kept alive by something that runs, not by a date.

An AppSync API key expires (7 days after creation without `Expires`, at most 365 days ahead with it), and a
lapsed key fails every request that carries it: for an EventBridge connection, every notification gets a 401.
A key is *managed* when a Lambda function of the template may call `appsync:UpdateApiKey` on it and a
schedule (an EventBridge rule with a `ScheduleExpression`, or an EventBridge Scheduler schedule) runs that
function at least every 7 days, the lifetime of a key created without `Expires`. A key whose `Expires` is a
parameter or a constant, with no such keeper, is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vcn.check.findings import API_KEY, CheckResults, Finding, counted
from vcn.check.iam import function_role, role_statements
from vcn.template.errors import TemplateError
from vcn.template.view import TemplateView

DAY = 86400
NEW_KEY_LIFETIME = 7 * DAY  # what AWS gives a key created without Expires
UPDATE_API_KEY = "appsync:UpdateApiKey"
_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": DAY}


@dataclass(frozen=True)
class Schedule:
    resource: str  # logical id of the rule or schedule
    expression: str
    interval_seconds: float | None  # None: not recurring (`at(...)`) or not understood


def interval_of(expression: str) -> float | None:
    """Seconds between runs of a `rate(...)` or `cron(...)` expression (a cron's longest gap, roughly)."""
    rate = _RATE.fullmatch(expression.strip())
    if rate:
        return int(rate.group(1)) * _UNIT_SECONDS[rate.group(2).removesuffix("s")]
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split()
        if len(fields) != 6:
            return None
        day_of_month, month, day_of_week = fields[2], fields[3], fields[4]
        if month not in ("*", "?"):
            return 365 * DAY
        if day_of_month in ("*", "?") and day_of_week in ("*", "?"):
            return DAY
        if day_of_month in ("*", "?"):
            return 7 * DAY  # some days of every week
        return 31 * DAY
    return None


def schedules_of(view: TemplateView, function: str) -> list[Schedule]:
    """Rules and schedules of the template that invoke the function."""
    arn = view.resolve({"Fn::GetAtt": [function, "Arn"]}, function)
    found = []
    for lid in view.logical_ids("AWS::Events::Rule", "AWS::Scheduler::Schedule"):
        try:
            properties = view.resolved(lid)
        except TemplateError:
            continue
        expression = properties.get("ScheduleExpression")
        if not isinstance(expression, str) or properties.get("State", "ENABLED") not in ("ENABLED",):
            continue
        targets = properties.get("Targets") or [properties.get("Target") or {}]
        if any(isinstance(t, dict) and t.get("Arn") == arn for t in targets):
            found.append(Schedule(lid, expression, interval_of(expression)))
    return found


def keepers_of(view: TemplateView, key: str) -> list[tuple[str, list[Schedule]]]:
    """Functions that may extend the key, each with the schedules that run it."""
    arn = view.resolve({"Fn::GetAtt": [key, "Arn"]}, key)
    keepers = []
    for function in view.logical_ids("AWS::Lambda::Function"):
        role = function_role(view, function)
        if role is None or not isinstance(arn, str):
            continue
        if any(statement.allows(UPDATE_API_KEY, arn) for statement in role_statements(view, role)):
            keepers.append((function, schedules_of(view, function)))
    return keepers


def check_api_keys(view: TemplateView) -> CheckResults:
    results = CheckResults()
    keys = view.logical_ids("AWS::AppSync::ApiKey")
    for key in keys:
        problem = _unmanaged(view, key)
        if problem is not None:
            results.fail(
                Finding(
                    API_KEY,
                    key,
                    problem,
                    hint=f"add a function with {UPDATE_API_KEY} on this key that a schedule runs at least "
                    "every 7 days, extending it (e.g. to the 365 days AWS allows)",
                )
            )
    results.examined[API_KEY] = counted(len(keys), "API key")
    return results


def _unmanaged(view: TemplateView, key: str) -> str | None:
    """Why the key's lifetime is not managed, or None when a keeper runs often enough."""
    keepers = keepers_of(view, key)
    often = [
        (function, schedule)
        for function, schedules in keepers
        for schedule in schedules
        if schedule.interval_seconds is not None and schedule.interval_seconds <= NEW_KEY_LIFETIME
    ]
    if often:
        return None
    expires = view.raw(key).get("Expires")
    parameter = view.parameter_of(expires)
    if expires is None:
        lapse = "it has no Expires, so AWS gives it 7 days"
    elif parameter is not None:
        lapse = f"its Expires is the parameter {parameter}, a fixed time that only a new deploy moves"
    else:
        lapse = f"its Expires is the fixed time {expires!r}"
    if keepers:
        names = ", ".join(function for function, _ in keepers)
        runs = "; ".join(
            f"{schedule.resource} runs it with {schedule.expression}"
            for _, schedules in keepers
            for schedule in schedules
        )
        keeper = f"{names} may extend it, but {runs or 'no schedule runs it'}"
        return f"{lapse}; {keeper}: every publish carrying the key then fails with 401"
    return f"{lapse}, and nothing extends it: every publish carrying the key then fails with 401"
