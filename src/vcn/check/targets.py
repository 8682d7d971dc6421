"""Rule targets that call an API destination or a function: each needs a retry policy and a dead-letter queue
it can use, and a function its own place for what it fails on.

Without `RetryPolicy`, EventBridge retries for 24 hours and 185 attempts, so a broken endpoint holds a
notification for a day; without `DeadLetterConfig`, what still fails is dropped. A dead-letter queue only
helps if an alarm watches it (or nobody learns what landed there) and if EventBridge may write to it: its
queue policy must let `events.amazonaws.com` send messages, for this rule when the policy names source ARNs;
otherwise the message is lost and counted only in `InvocationsFailedToBeSentToDlq`.

A function target's dead-letter queue only keeps what Lambda did not accept (throttled, missing, not
permitted). An event Lambda accepted and the function then fails on is retried twice by Lambda and then
dropped, unless the function has a `DeadLetterQueue` or an `EventInvokeConfig` OnFailure destination; an
alarm must watch that queue too. The same holds for a function an AppSync namespace handler invokes in EVENT
mode (asynchronously, `appsync_invoke.event_handlers`): what it fails on is dropped the same way. A rule on
a schedule is left out: its events hold no data to keep, and a failed run is the function's error, which its
alarms report.

An API destination built from an AppSync API of the template must be that API's publish endpoint
(`publish_endpoint`): anything else fails, naming the destination. One that calls another HTTP API is noted as
not checked: the path check proves nothing about what it does with an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vcn.arns import function_name, is_sqs_queue, sqs_queue_name
from vcn.check.appsync_invoke import event_handlers
from vcn.check.findings import TARGETS, CheckResults, Finding, counted
from vcn.check.iam import arn_matches, statements_of
from vcn.check.invoke_permissions import (
    Denied,
    destination_role_denial,
    function_permission_denial,
)
from vcn.check.publish_endpoint import OtherDestination
from vcn.check.routes import Routes, RuleRoute, TargetRoute
from vcn.lambda_runtime import FunctionSpec
from vcn.template.view import TemplateView, attribute_references

SOURCE_ARN = "aws:sourcearn"
EVENTBRIDGE = "events.amazonaws.com"


def check_targets(
    routes: Routes,
    view: TemplateView,
    watched: frozenset[str] = frozenset(),
    functions: Sequence[FunctionSpec] = (),
) -> CheckResults:
    results = CheckResults()
    queues = view.by_arn("AWS::SQS::Queue")
    roles = view.by_arn("AWS::IAM::Role")
    by_name = {function.name: function for function in functions}
    destinations = invoked = 0
    targeted: set[str] = set()  # functions checked as a rule's target
    elsewhere: dict[str, OtherDestination] = {}
    for route in routes.rules:
        if route.rule.schedule_expression:
            continue
        for target in route.targets:
            if target.is_api_destination:
                destinations += 1
                if target.other is not None:
                    elsewhere.setdefault(target.other.destination, target.other)
                findings = _target_findings(route, target, "a notification", queues, view, watched)
                denied = _destination_denial(view, route, target, roles, results)
                if denied is not None:
                    findings.append(_denied(route, target, denied))
            elif target.kind == "lambda":
                invoked += 1
                findings = _target_findings(route, target, "an event", queues, view, watched)
                function = by_name.get(function_name(target.target.arn))
                if function is not None:  # else a function of another stack: its settings are not here
                    targeted.add(function.name)
                    findings.extend(_function_findings(function, watched))
                    denied = function_permission_denial(
                        view, function.name, target.target.arn, route.logical_id, route.rule.arn
                    )
                    if denied is not None:
                        findings.append(_denied(route, target, denied))
            else:
                continue
            for finding in findings:
                results.fail(finding)
    handlers = 0
    for function_arn, invoked_as in event_handlers(view).items():
        function = by_name.get(function_name(function_arn))
        if function is None or function.name in targeted:
            continue  # a function of another stack, or one already checked as a rule's target
        handlers += 1
        for finding in _function_findings(function, watched, invoked_as):
            results.fail(finding)
    for lid, other in elsewhere.items():
        if other.mistake is not None:
            results.fail(Finding(TARGETS, lid, other.mistake, hint=other.hint))
        else:
            results.note(
                TARGETS,
                f"not checked: {lid} calls {other.endpoint}, which is not an AppSync Events publish "
                "endpoint of this template: what it does with an event is not proven",
            )
    examined = [counted(destinations, "API-destination target"), counted(invoked, "function target")]
    if handlers:
        examined.append(counted(handlers, "EVENT-mode namespace handler"))
    results.examined[TARGETS] = ", ".join(examined[:-1]) + " and " + examined[-1]
    return results


def _destination_denial(
    view: TemplateView, route: RuleRoute, target: TargetRoute, roles: Mapping[str, str], results: CheckResults
) -> Denied | None:
    """Why EventBridge may not call the target's API destination; a role of another stack is noted."""
    role_arn = target.target.spec.get("RoleArn")
    destination = target.destination or target.target.arn
    if isinstance(role_arn, str) and role_arn not in roles:
        results.note(
            TARGETS,
            f"not verified: {route.logical_id} target {target.target.id} calls {destination} as role "
            f"{role_arn}, which is not a role of this template",
        )
        return None
    role = roles[role_arn] if isinstance(role_arn, str) else None
    return destination_role_denial(view, role, destination, target.target.arn)


def _denied(route: RuleRoute, target: TargetRoute, denied: Denied) -> Finding:
    return Finding(TARGETS, route.logical_id, denied.problem, target=target.target.id, hint=denied.hint)


def _function_findings(
    function: FunctionSpec, watched: frozenset[str], invoked_as: Sequence[str] = ()
) -> list[Finding]:
    """Where the function's failed asynchronous invocations go: a queue an alarm watches, or nowhere.
    `invoked_as`: the namespace handlers that invoke it in EVENT mode, when that is why it is checked."""
    kept = function.async_invoke.on_failure or function.dead_letter_arn
    handlers = f" (AppSync invokes it asynchronously, as the EVENT-mode {', '.join(invoked_as)})"
    handlers = handlers if invoked_as else ""
    if kept is None:
        return [
            Finding(
                TARGETS,
                function.name,
                "no DeadLetterQueue and no OnFailure destination: an event the function fails on is retried "
                f"twice by Lambda, then dropped{handlers}",
                hint="set DeadLetterQueue (an SQS queue an alarm watches) on the function, or "
                "EventInvokeConfig DestinationConfig OnFailure",
            )
        ]
    queue = sqs_queue_name(kept) if is_sqs_queue(kept) else None  # an SNS topic, a function, a bus: not here
    if queue is not None and queue not in watched:
        return [
            Finding(
                TARGETS,
                function.name,
                f"no alarm watches {queue}, where the function's failed events go: they go "
                f"unnoticed{handlers}",
                hint=f"add an alarm on AWS/SQS ApproximateNumberOfMessagesVisible of {queue} that fires on "
                "one message (GreaterThanThreshold 0)",
            )
        ]
    return []


def _target_findings(
    route: RuleRoute,
    target: TargetRoute,
    what: str,
    queues: Mapping[str, str],
    view: TemplateView,
    watched: frozenset[str],
) -> list[Finding]:
    spec, findings = target.target.spec, []
    rule, target_id = route.logical_id, target.target.id
    if "RetryPolicy" not in spec:
        findings.append(
            Finding(
                TARGETS,
                rule,
                "no RetryPolicy: EventBridge retries a failing delivery for 24 hours (185 attempts) before "
                "giving up",
                target=target_id,
                hint="set RetryPolicy (MaximumRetryAttempts, MaximumEventAgeInSeconds) to how long "
                f"{what} is still worth delivering",
            )
        )
    dead_letter = (spec.get("DeadLetterConfig") or {}).get("Arn")
    if not isinstance(dead_letter, str):
        findings.append(
            Finding(
                TARGETS,
                rule,
                f"no DeadLetterConfig: {what} that still fails after the retries is dropped",
                target=target_id,
                hint="set DeadLetterConfig.Arn to an SQS queue whose policy lets EventBridge send to it",
            )
        )
        return findings
    queue = queues.get(dead_letter)
    if queue is None:
        return findings  # a queue of another stack: its policy and alarms are not in this template
    if target.target.dead_letter_queue not in watched:
        findings.append(
            Finding(
                TARGETS,
                rule,
                f"no alarm watches dead-letter queue {queue}: what lands there goes unnoticed",
                target=target_id,
                hint=f"add an alarm on AWS/SQS ApproximateNumberOfMessagesVisible of {queue} that fires on "
                "one message (GreaterThanThreshold 0)",
            )
        )
    if not _may_send(view, queue, dead_letter, route.rule.arn):
        findings.append(
            Finding(
                TARGETS,
                rule,
                f"dead-letter queue {queue} has no queue policy that lets {EVENTBRIDGE} send messages for "
                "this rule: what fails is lost (counted only in InvocationsFailedToBeSentToDlq)",
                target=target_id,
                hint=f"add an AWS::SQS::QueuePolicy on {queue} allowing sqs:SendMessage to {EVENTBRIDGE} "
                "with aws:SourceArn this rule",
            )
        )
    return findings


def _may_send(view: TemplateView, queue: str, queue_arn: str, rule_arn: str) -> bool:
    for policy in view.logical_ids("AWS::SQS::QueuePolicy"):
        if queue not in {name for name, _ in attribute_references(view.raw(policy).get("Queues"))}:
            continue
        for statement in statements_of(view, policy):
            if (
                EVENTBRIDGE in statement.services
                and statement.allows("sqs:SendMessage", queue_arn)
                and _source_allowed(statement.conditions, rule_arn)
            ):
                return True
    return False


def _source_allowed(conditions: Mapping[str, Any], rule_arn: str) -> bool:
    """Whether the statement's aws:SourceArn conditions (if any) admit the rule."""
    for operator, tests in conditions.items():
        if not isinstance(tests, Mapping):
            continue
        for key, allowed in tests.items():
            if key.lower() != SOURCE_ARN:
                continue
            values = allowed if isinstance(allowed, list) else [allowed]
            like = operator.endswith("Like")
            if not any(arn_matches(str(v), rule_arn) if like else str(v) == rule_arn for v in values):
                return False
    return True
