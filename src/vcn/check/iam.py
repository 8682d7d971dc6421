"""IAM statements of the template: who may do what on which resource, and the statements that are too broad.

Every policy document in the template is read (role inline policies, AWS::IAM::Policy / RolePolicy /
ManagedPolicy, queue and topic policies), with intrinsics resolved to local ARNs, so a statement can be
asked "does it allow `appsync:UpdateApiKey` on this key?". The breadth check fails a statement that allows
every action (`*`, or `NotAction`), and one that allows a write action on every resource (`Resource: *`):
a role that may write anywhere in the account turns one compromised function into the whole account. Actions
that AWS only grants on `*` (they have no resource-level permissions) are exempt.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vcn.check.findings import IAM, CheckResults, Finding, counted
from vcn.template.errors import TemplateError
from vcn.template.view import TemplateView, attribute_references

# Actions without resource-level permissions: AWS accepts only `Resource: "*"` for them.
ONLY_ON_EVERY_RESOURCE = frozenset(
    {
        "cloudwatch:putmetricdata",
        "xray:puttracesegments",
        "xray:puttelemetryrecords",
        "ec2:createnetworkinterface",
        "ec2:deletenetworkinterface",
        "ec2:assignprivateipaddresses",
        "ec2:unassignprivateipaddresses",
        "logs:createloggroup",
    }
)
# An action is a read when its name starts with one of these; anything else may change something.
READ_PREFIXES = (
    "get",
    "list",
    "describe",
    "query",
    "scan",
    "batchget",
    "head",
    "lookup",
    "search",
    "select",
    "view",
)
POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy")


@dataclass(frozen=True)
class Statement:
    resource: str  # logical id of the resource holding the policy
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    services: tuple[str, ...] = ()  # principals `{"Service": ...}` of a resource policy
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def allows(self, action: str, arn: str) -> bool:
        return (
            self.effect == "Allow"
            and not self.not_action
            and any(action_matches(pattern, action) for pattern in self.actions)
            and any(arn_matches(pattern, arn) for pattern in self.resources)
        )


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards."""
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def arn_matches(pattern: str, arn: str) -> bool:
    return fnmatch.fnmatchcase(arn, pattern)


def policy_strings(value: Any) -> tuple[str, ...]:
    """A policy element that may be one string or a list of them (Action, Resource, a principal, a condition
    value), as a tuple; anything else is empty."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


def _documents(value: Any) -> Iterator[Mapping[str, Any]]:
    """Policy documents (objects with a Statement) anywhere in a resource's properties."""
    if isinstance(value, Mapping):
        if "Statement" in value:
            yield value
            return
        for item in value.values():
            yield from _documents(item)
    elif isinstance(value, list):
        for item in value:
            yield from _documents(item)


def statements_of(view: TemplateView, logical_id: str) -> list[Statement]:
    """Every statement in the resource's policy documents, resolved where the local cloud can."""
    try:
        properties: Mapping[str, Any] = view.resolved(logical_id)
    except TemplateError:
        properties = view.raw(logical_id)
    found = []
    for document in _documents(properties):
        raw = document["Statement"]
        for statement in raw if isinstance(raw, list) else [raw]:
            if not isinstance(statement, Mapping):
                continue
            principal = statement.get("Principal")
            services = policy_strings(principal.get("Service")) if isinstance(principal, Mapping) else ()
            condition = statement.get("Condition")
            found.append(
                Statement(
                    resource=logical_id,
                    effect=str(statement.get("Effect", "")),
                    actions=policy_strings(statement.get("Action", statement.get("NotAction"))),
                    not_action="NotAction" in statement,
                    resources=policy_strings(statement.get("Resource", "*")),
                    services=services,
                    conditions=condition if isinstance(condition, Mapping) else {},
                )
            )
    return found


def role_statements(view: TemplateView, role: str) -> list[Statement]:
    """A role's inline policies and the template's policies attached to it by name."""
    # A trust policy names a service principal; what the role may do has none.
    found = [s for s in statements_of(view, role) if s.effect == "Allow" and not s.services]
    managed = {name for name, _ in attribute_references(view.raw(role).get("ManagedPolicyArns"))}
    for policy in view.logical_ids(*POLICY_TYPES):
        raw = view.raw(policy)
        attached = {name for name, _ in attribute_references([raw.get("Roles"), raw.get("RoleName")])}
        if role in attached or policy in managed:
            found.extend(s for s in statements_of(view, policy) if s.effect == "Allow")
    return found


def function_role(view: TemplateView, function: str) -> str | None:
    """The template role a Lambda function runs with (its `Role` refers to it), if any."""
    roles = view.logical_ids("AWS::IAM::Role")
    referred = [name for name, _ in attribute_references(view.raw(function).get("Role")) if name in roles]
    return referred[0] if referred else None


def principals_allowed(view: TemplateView, action: str, arn: str) -> list[str]:
    """Roles of the template whose policies allow `action` on `arn`."""
    return [
        role
        for role in view.logical_ids("AWS::IAM::Role")
        if any(statement.allows(action, arn) for statement in role_statements(view, role))
    ]


def is_write(action: str) -> bool:
    name = action.split(":", 1)[-1].lower()
    return not name.startswith(READ_PREFIXES)


def check_breadth(view: TemplateView) -> CheckResults:
    """Fail every Allow statement that grants every action, or a write action on every resource."""
    results = CheckResults()
    count = 0
    for lid in view.logical_ids():
        for statement in statements_of(view, lid):
            if statement.effect != "Allow":
                continue
            count += 1
            where = view.describe(lid)
            if statement.not_action or any(a in ("*", "*:*") for a in statement.actions):
                what = "NotAction (every action but some)" if statement.not_action else "Action: *"
                results.fail(
                    Finding(
                        IAM,
                        where,
                        f"a statement allows every action ({what})",
                        hint="name the actions the holder needs",
                    )
                )
                continue
            if "*" in statement.resources and not statement.services:
                writes = [
                    a for a in statement.actions if is_write(a) and a.lower() not in ONLY_ON_EVERY_RESOURCE
                ]
                if writes:
                    results.fail(
                        Finding(
                            IAM,
                            where,
                            f"a statement allows {', '.join(writes)} on every resource (Resource: *)",
                            hint="name the resources (ARNs) it may change",
                        )
                    )
    results.examined[IAM] = counted(count, "Allow statement")
    return results
