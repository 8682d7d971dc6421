"""Who may put each source on the bus: trusted sources only their emitters, open ones only through an ingress.

The path check draws only contract-keeping events for a trusted source, so that must be true in AWS: the
bus's resource policy (an `AWS::Events::EventBusPolicy` statement, or the bus's own `Policy`) must hold an
explicit `Deny` of `events:PutEvents` to every principal (`"*"`), conditioned on exactly that source
(`StringEquals events:source`) and on the principal being none of the roles of the functions that emit it
(`ArnNotEquals`/`ArnNotLike aws:PrincipalArn`, with the emitters' roles and nothing else). An explicit deny
wins over any Allow in the account, so nobody else can put the source. A missing, narrower or wider statement
fails the check naming the bus (or the policy), and the source is then treated as open: hostile values are
drawn for it too.

An open source's ingress must be a function of the template that may put events on the bus and may send to
the queue it refuses into, and an alarm must watch that queue. Its PutEvents permission is judged for what it
puts back (the source and detail-type the ingress makes of each ordinary event): a statement whose
`Condition` on `events:source` or `events:detail-type` refuses them does not count (`conditions`). A condition
the check cannot evaluate is taken to hold and noted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vcn import arns
from vcn.check.conditions import role_allows
from vcn.check.contribution import CheckContribution, EventKind, OpenSource, TrustedSource
from vcn.check.findings import SOURCES, CheckResults, Finding, counted
from vcn.check.iam import action_matches, arn_matches, function_role, policy_strings
from vcn.check.paths import IngressGate
from vcn.template.errors import TemplateError
from vcn.template.view import TemplateView

PRINCIPAL_CONDITIONS = ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike")
# (ForAllValues would let a batch that mixes in another source through the deny.)
SOURCE_CONDITIONS = ("StringEquals", "ForAnyValue:StringEquals")


@dataclass(frozen=True)
class Denial:
    """A Deny of PutEvents on the bus for some sources to every principal but some ARNs."""

    resource: str  # logical id of the policy (or the bus) holding it
    sources: frozenset[str]
    exempt: frozenset[str]  # principal ARNs the deny does not apply to


@dataclass
class SourceCheck:
    results: CheckResults
    trusted: frozenset[str]  # sources proven trusted
    gates: dict[str, IngressGate]


def check_sources(
    view: TemplateView, contribution: CheckContribution, bus_resource: str, watched_queues: frozenset[str]
) -> SourceCheck:
    results = CheckResults()
    bus_arn = str(view.resolve({"Fn::GetAtt": [bus_resource, "Arn"]}, bus_resource))
    denials = list(_denials(view, bus_resource, bus_arn))
    trusted = set()
    for source in contribution.trusted_sources:
        problem = _trust_problem(view, source, denials)
        if problem is None:
            trusted.add(source.source)
        else:
            where = next((d.resource for d in denials if source.source in d.sources), bus_resource)
            results.fail(
                Finding(
                    SOURCES,
                    where,
                    f"trusted source {source.source}: {problem}",
                    outcome="any principal of the account may put it, with values no event pattern can "
                    "refuse: the path check draws hostile events for it",
                    hint=f"add an AWS::Events::EventBusPolicy statement on {bus_resource}: Effect Deny, "
                    f'Principal "*", Action events:PutEvents, Condition StringEquals events:source '
                    f"{source.source} and ArnNotEquals aws:PrincipalArn the roles of "
                    f"{', '.join(source.emitters)}",
                )
            )
    gates = {}
    for open_source in contribution.open_sources:
        put_back = _put_back(open_source, contribution.event_kinds)
        gate, problems = _gate(view, open_source, bus_arn, put_back, results)
        for problem, hint in problems:
            results.fail(
                Finding(
                    SOURCES, open_source.function, f"ingress of {open_source.source}: {problem}", hint=hint
                )
            )
        if gate is not None:
            gates[open_source.source] = gate
            if gate.queue not in watched_queues:
                results.fail(
                    Finding(
                        SOURCES,
                        open_source.refused_to,
                        f"ingress of {open_source.source} refuses into queue {gate.queue}, which no alarm "
                        "watches",
                        hint="add an alarm on the queue's ApproximateNumberOfMessagesVisible",
                    )
                )
    results.examined[SOURCES] = (
        f"{counted(len(contribution.trusted_sources), 'trusted source')} against "
        f"{counted(len(denials), 'bus policy denial')}, "
        f"{counted(len(contribution.open_sources), 'open source')} behind an ingress"
    )
    return SourceCheck(results, frozenset(trusted), gates)


def _trust_problem(view: TemplateView, source: TrustedSource, denials: list[Denial]) -> str | None:
    roles = {}
    for function in source.emitters:
        role = function_role(view, function)
        if role is None:
            return f"function {function} has no role of the template to exempt"
        roles[str(view.resolve({"Fn::GetAtt": [role, "Arn"]}, role))] = function
    covering = [denial for denial in denials if source.source in denial.sources]
    if not covering:
        return "no bus policy denies events:PutEvents of it to every principal but its emitters"
    for denial in covering:
        missing = [roles[arn] for arn in roles if not any(arn_matches(p, arn) for p in denial.exempt)]
        extra = sorted(p for p in denial.exempt if not any(arn_matches(p, arn) for arn in roles))
        if not missing and not extra:
            return None
    denial = covering[0]
    if extra:
        return f"{denial.resource} also lets {', '.join(extra)} put it"
    return (
        f"{denial.resource} denies it to {', '.join(missing)}, which emits it (its events would be refused)"
    )


def _denials(view: TemplateView, bus_resource: str, bus_arn: str) -> Iterator[Denial]:
    bus_name = arns.bus_name(bus_arn)
    for lid in view.logical_ids("AWS::Events::EventBusPolicy"):
        try:
            properties = view.resolved(lid)
        except TemplateError:
            continue
        if arns.bus_name(str(properties.get("EventBusName", "default"))) != bus_name:
            continue
        statement = properties.get("Statement")
        if isinstance(statement, Mapping):
            denial = _denial(lid, statement, bus_arn)
            if denial is not None:
                yield denial
    try:
        policy = view.resolved(bus_resource).get("Policy")
    except TemplateError:
        policy = None
    statements = policy.get("Statement") if isinstance(policy, Mapping) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, Mapping):
            denial = _denial(bus_resource, statement, bus_arn)
            if denial is not None:
                yield denial


def _denial(resource: str, statement: Mapping[str, Any], bus_arn: str) -> Denial | None:
    """The statement as a Denial, when it denies PutEvents on the bus to everyone for some sources."""
    if statement.get("Effect") != "Deny" or "NotAction" in statement or "NotPrincipal" in statement:
        return None
    principal = statement.get("Principal")
    if principal != "*" and not (
        isinstance(principal, Mapping) and policy_strings(principal.get("AWS")) == ("*",)
    ):
        return None
    if not any(
        action_matches(action, "events:PutEvents") for action in policy_strings(statement.get("Action"))
    ):
        return None
    if not any(
        arn_matches(pattern, bus_arn) for pattern in policy_strings(statement.get("Resource", bus_arn))
    ):
        return None
    conditions = statement.get("Condition")
    if not isinstance(conditions, Mapping):
        return None
    sources: set[str] = set()
    exempt: set[str] = set()
    for operator, keys in conditions.items():
        if not isinstance(keys, Mapping):
            return None
        for key, values in keys.items():
            if operator in SOURCE_CONDITIONS and key == "events:source":
                sources.update(policy_strings(values))
            elif operator in PRINCIPAL_CONDITIONS and key.lower() == "aws:principalarn":
                exempt.update(policy_strings(values))
            else:
                return None  # any other condition narrows the deny: it no longer covers every event
    if not sources:
        return None
    return Denial(resource, frozenset(sources), frozenset(exempt))


def _put_back(open_source: OpenSource, kinds: tuple[EventKind, ...]) -> list[tuple[str, str]]:
    """(source, detail-type) of what the ingress puts back for the ordinary events of its source."""
    found: dict[tuple[str, str], None] = {}  # in order, once each
    for kind in kinds:
        for example in kind.examples if kind.source == open_source.source else ():
            admission = open_source.ingress(kind.source, kind.detail_type, example)
            if admission.source is not None and admission.detail_type is not None:
                found[(admission.source, admission.detail_type)] = None
    return list(found)


def _gate(
    view: TemplateView,
    open_source: OpenSource,
    bus_arn: str,
    put_back: list[tuple[str, str]],
    results: CheckResults,
) -> tuple[IngressGate | None, list[tuple[str, str | None]]]:
    function, queue = open_source.function, open_source.refused_to
    known = set(view.logical_ids())
    problems: list[tuple[str, str | None]] = [
        (f"{name} is not a resource of the template", None) for name in (function, queue) if name not in known
    ]
    if problems:
        return None, problems
    function_arn = str(view.resolve({"Fn::GetAtt": [function, "Arn"]}, function))
    queue_arn = str(view.resolve({"Fn::GetAtt": [queue, "Arn"]}, queue))
    role = function_role(view, function)
    requests: list[tuple[str, str, dict[str, str]]] = [
        ("events:PutEvents", bus_arn, {"events:source": source, "events:detail-type": detail_type})
        for source, detail_type in put_back or [("", "")]
    ]
    requests.append(("sqs:SendMessage", queue_arn, {}))
    for action, arn, context in requests:
        context = {key: value for key, value in context.items() if value}
        allowance = role_allows(view, role, action, arn, context) if role is not None else None
        what = f"{action} on {arn}"
        if context:
            what += f" for {context['events:detail-type']} of {context['events:source']}, which it puts back"
        if allowance is None or not allowance.allowed:
            refused = allowance.refused_by if allowance is not None else ()
            because = f" (its condition {'; '.join(refused)} refuses it)" if refused else ""
            if role is None:
                hint = f"give {function} a role of the template"
            elif refused:
                hint = f"let the Condition of {role}'s {action} statement admit what the ingress puts back"
            else:
                hint = f"allow {action} on {arn} in a policy of {role}"
            problems.append((f"{function} may not {what}{because}", hint))
        elif allowance.unevaluated:
            results.note(
                SOURCES,
                f"not verified: {function} may {what} only if {', '.join(allowance.unevaluated)} holds, "
                "which the check does not evaluate",
            )
    gate = IngressGate(open_source, function_arn, arns.Arn.parse(queue_arn).resource)
    return gate, problems
