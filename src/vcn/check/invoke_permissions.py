"""Whether EventBridge may call what a rule targets: the role of an API-destination target, the permission of
a function target.

EventBridge calls an API destination as the target's `RoleArn`: it must assume the role (a trust statement
allowing `sts:AssumeRole` to `events.amazonaws.com`) and the role must allow `events:InvokeApiDestination` on
the destination (its ARN, or a pattern covering it such as `ArnForPolicy`). A target without a role, a role
EventBridge may not assume or one without that action fails every delivery: each event goes to the target's
dead-letter queue after the retries, and no subscriber receives it.

EventBridge invokes a function target with the function's resource policy: an `AWS::Lambda::Permission` (or
the one SAM generates for an `EventBridgeRule` event) allowing `lambda:InvokeFunction` to
`events.amazonaws.com`, with no `SourceArn` or one that matches the rule. A permission for another rule does
not count: the function is never invoked.

A role or a function of another stack is not in the template: it is noted as not verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcn.arns import function_name
from vcn.check.iam import action_matches, arn_matches, policy_strings, role_statements, statements_of
from vcn.template.errors import TemplateError
from vcn.template.view import TemplateView

EVENTBRIDGE = "events.amazonaws.com"
INVOKE_DESTINATION = "events:InvokeApiDestination"
ASSUME_ROLE = "sts:AssumeRole"
INVOKE_FUNCTION = "lambda:InvokeFunction"


@dataclass(frozen=True)
class Denied:
    """Why a service may not call a target, and what to change."""

    problem: str
    hint: str


def trusts(view: TemplateView, role: str, service: str) -> bool:
    """Whether the role's trust policy lets `service` assume it."""
    return any(
        statement.effect == "Allow"
        and service in statement.services
        and any(action_matches(action, ASSUME_ROLE) for action in statement.actions)
        for statement in statements_of(view, role)
    )


def destination_role_denial(
    view: TemplateView, role: str | None, destination: str, destination_arn: str
) -> Denied | None:
    """Why EventBridge could not call the API destination as the target's role (a logical id of the
    template's roles; None: the target has no RoleArn); None when it could."""
    if role is None:
        return Denied(
            f"no RoleArn: EventBridge has no role to call API destination {destination} with, so every "
            "delivery fails",
            hint=f"set RoleArn to a role {EVENTBRIDGE} may assume that allows {INVOKE_DESTINATION} on "
            f"!GetAtt {destination}.ArnForPolicy",
        )
    if not trusts(view, role, EVENTBRIDGE):
        return Denied(
            f"role {role} does not let {EVENTBRIDGE} assume it: every delivery to {destination} fails",
            hint=f"add a trust statement to {role}'s AssumeRolePolicyDocument: Effect Allow, Principal "
            f"Service {EVENTBRIDGE}, Action {ASSUME_ROLE}",
        )
    if not any(s.allows(INVOKE_DESTINATION, destination_arn) for s in role_statements(view, role)):
        return Denied(
            f"role {role} may not {INVOKE_DESTINATION} on {destination}: every delivery fails",
            hint=f"allow {INVOKE_DESTINATION} on !GetAtt {destination}.ArnForPolicy in a policy of {role}",
        )
    return None


def function_permission(
    view: TemplateView, function_arn: str, principal: str, source_arn: str
) -> tuple[bool, list[str]]:
    """Whether an `AWS::Lambda::Permission` lets `principal` invoke the function for `source_arn` (no
    `SourceArn`, or one matching it); and the permissions for that principal that name another source."""
    name = function_name(function_arn)
    others = []
    for lid in view.logical_ids("AWS::Lambda::Permission"):
        try:
            permission = view.resolved(lid)
        except TemplateError:
            continue
        if function_name(str(permission.get("FunctionName", ""))) != name:
            continue
        if permission.get("Principal") != principal:
            continue
        if not action_matches(str(permission.get("Action", "")), INVOKE_FUNCTION):
            continue
        sources = policy_strings(permission.get("SourceArn"))
        if not sources or any(arn_matches(source, source_arn) for source in sources):
            return True, []
        others.append(view.describe(lid))
    return False, others


def missing_permission(principal: str, others: list[str]) -> str:
    """Why `principal` may not invoke a function, from `function_permission`'s other permissions."""
    if others:
        return f"{', '.join(others)} lets {principal} invoke it only for another SourceArn"
    return f"no AWS::Lambda::Permission lets {principal} invoke it"


def function_permission_denial(
    view: TemplateView, function: str, function_arn: str, rule: str, rule_arn: str
) -> Denied | None:
    """Why EventBridge could not invoke the function for the rule; None when a permission lets it."""
    allowed, others = function_permission(view, function_arn, EVENTBRIDGE, rule_arn)
    if allowed:
        return None
    return Denied(
        f"EventBridge may not invoke function {function} for this rule "
        f"({missing_permission(EVENTBRIDGE, others)}): every event fails to be delivered",
        hint=f"add an AWS::Lambda::Permission: Action {INVOKE_FUNCTION}, FunctionName !GetAtt "
        f"{function}.Arn, Principal {EVENTBRIDGE}, SourceArn !GetAtt {rule}.Arn",
    )
