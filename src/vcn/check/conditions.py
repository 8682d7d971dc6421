"""An IAM statement's `Condition` judged against what a request carries: whether a role may do an action on a
resource *for this request*.

Only string conditions on keys the caller gives values for (the request's context, such as `events:source`
and `events:detail-type` of a PutEvents entry) are evaluated: `StringEquals`, `StringNotEquals`, `StringLike`,
`StringNotLike` and their `IgnoreCase` forms, with an `IfExists` suffix or a `ForAllValues:`/`ForAnyValue:`
prefix (a PutEvents entry carries one value of each, so both read as the plain operator). Any other operator,
or a key the context does not hold, cannot be judged here: it is taken to hold, and `Allowance.unevaluated`
names it so the caller can say the permission is not verified.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vcn.check.iam import policy_strings, role_statements
from vcn.template.view import TemplateView

_SET_PREFIXES = ("ForAllValues:", "ForAnyValue:")
StringTest = Callable[[str, tuple[str, ...]], bool]  # (the request's value, the statement's values) -> holds


@dataclass(frozen=True)
class Allowance:
    """Whether some Allow statement of a role grants the action for the request; what it could not judge."""

    allowed: bool
    unevaluated: tuple[str, ...] = ()  # `<operator> <key>` of the conditions taken to hold
    refused_by: tuple[
        str, ...
    ] = ()  # `<operator> <key>: <values>` that refused the request, when not allowed


@dataclass(frozen=True)
class _Verdict:
    holds: bool
    unevaluated: tuple[str, ...]
    refused_by: tuple[str, ...]


def role_allows(
    view: TemplateView, role: str, action: str, arn: str, context: Mapping[str, str]
) -> Allowance:
    """Whether the role may do `action` on `arn` for a request with these condition values (keys as IAM
    writes them; compared case-insensitively)."""
    request = {key.lower(): value for key, value in context.items()}
    refused: list[str] = []
    assumed: Allowance | None = None
    for statement in role_statements(view, role):
        if not statement.allows(action, arn):
            continue
        verdict = _judge(statement.conditions, request)
        if verdict.holds and not verdict.unevaluated:
            return Allowance(True)
        if verdict.holds and assumed is None:
            assumed = Allowance(True, verdict.unevaluated)
        refused.extend(verdict.refused_by)
    return assumed if assumed is not None else Allowance(False, refused_by=tuple(refused))


def _judge(conditions: Mapping[str, Any], request: Mapping[str, str]) -> _Verdict:
    unevaluated: list[str] = []
    refused: list[str] = []
    for written, tests in conditions.items():
        if not isinstance(tests, Mapping):
            unevaluated.append(written)
            continue
        for key, allowed in tests.items():
            value = request.get(key.lower())
            test = _string_test(written)
            if test is None or value is None:
                unevaluated.append(f"{written} {key}")
            elif not test(value, policy_strings(allowed)):
                refused.append(f"{written} {key}: {', '.join(policy_strings(allowed))}")
    return _Verdict(not refused, tuple(unevaluated), tuple(refused))


def _string_test(written: str) -> StringTest | None:
    """The test of a string operator, `(value, allowed values) -> bool`; None for any other operator."""
    operator = written
    for prefix in _SET_PREFIXES:
        operator = operator.removeprefix(prefix)
    operator = operator.removesuffix("IfExists")
    fold = operator.endswith("IgnoreCase")
    operator = operator.removesuffix("IgnoreCase")
    negated = operator.startswith("StringNot")
    base = operator.replace("StringNot", "String", 1)
    if base not in ("StringEquals", "StringLike") or (fold and base == "StringLike"):
        return None

    def matches(value: str, allowed: tuple[str, ...]) -> bool:
        if base == "StringLike":
            hit = any(fnmatch.fnmatchcase(value, pattern) for pattern in allowed)
        elif fold:
            hit = value.casefold() in {item.casefold() for item in allowed}
        else:
            hit = value in allowed
        return hit != negated

    return matches
