"""The path check: events the producers can emit, through every rule and target, as AWS would carry them.

For each event kind of the application, Hypothesis draws details (valid and hostile); each becomes the event
EventBridge would build (events PutEvents refuses never enter a path: their producer sees the error), is
matched against every enabled rule of the bus with the local pattern engine, rendered for every target with
the local input transformer, and, for targets that publish to AppSync Events, inspected as AppSync would take
it (`publish.inspect_publish`). A failure is kept once per rule, target and kind of breakage; then
Hypothesis searches again for that failure alone and shrinks it to a minimal counterexample. The random
source is seeded, so the same template gives the same report.

An event whose notification one target fails to deliver is not lost when another rule of the bus sends the
same event, intact, to a queue an alarm watches (a "rejected" rule beside a guarded one): EventBridge
patterns cannot keep out every hostile value (a list passes an `anything-but` guard when one of its elements
does), so such a rule is how a template keeps what its guards let through. Only events outside the
producers' contract that no guard could keep out (a list in place of a single value) may be kept that way,
and only when no broken notification reached clients.

Who may put a source decides what is drawn for it. For a *trusted* source (the bus policy denies it to all
but the application's functions, `sources.check_sources`) only details within the producers' contract are
sent: nobody else can put a hostile one. An *open* source's events go to its ingress first, as the template
routes them: the ingress (the application's own pure function) refuses an event, which is then kept in the
queue it sends refusals to, or admits it, and the canonical event it puts on the bus goes through the rules
like any other, where every failure fails the check. A rule that publishes an open source's event to AppSync
without its ingress in between fails the check: values no pattern can refuse would reach the body.
"""

from __future__ import annotations

import json
import random
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import HypothesisWarning, NoSuchExample

from vcn.aws_account import LOCAL_ACCOUNT, LocalAccount
from vcn.check.adversarial import MISSING
from vcn.check.contribution import Admission, EventKind, OpenSource
from vcn.check.findings import PATH, CheckResults, Finding, counted
from vcn.check.publish import (
    AUTH_MODE,
    CHANNEL,
    DELIVERED_INCOMPLETE,
    DUPLICATE,
    EVENT_SIZE,
    FIELDS,
    MISDIRECTED,
    NOT_JSON,
    NOT_TEXT,
    REJECTED,
    REQUEST_SIZE,
    SILENT_DROP,
    UNDECLARED_CHANNEL,
    UNROUTED,
    Breakage,
    Publish,
    inspect_publish,
    json_problem,
)
from vcn.check.routes import RuleRoute, TargetRoute
from vcn.eventbridge.input_transformer import DeliveryContext, render
from vcn.eventbridge.put_events import ValidEntry, build_event, check_entry, entry_size, format_time
from vcn.eventbridge.settings import EventBridgeSettings

# Verdicts on a failure (`PathCheck._verdict`)
FAILS = "fails"
KEPT = "kept"
# Refusals no event pattern can prevent: patterns have no character class for a channel segment's alphabet
# and no length test. Everything else a hostile value can cause, a guard (exists, numeric, anything-but
# wildcard) can keep out, or it is lost silently.
UNGUARDABLE = frozenset({CHANNEL, EVENT_SIZE, REQUEST_SIZE})

# An open source's event reaching AppSync without its ingress (`PathCheck.deliveries`).
UNCHECKED = "open-source-unchecked"

# Every event gets the same id and time, so reports do not change from run to run.
EVENT_ID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
EVENT_TIME = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
LONGEST_SHOWN = 120  # characters of a string shown in a counterexample


@dataclass(frozen=True)
class PathSettings:
    examples: int = 200  # events drawn per event kind (and per search for one failure)
    seed: int = 0
    account: LocalAccount = LOCAL_ACCOUNT
    max_put_events_bytes: int = EventBridgeSettings().max_put_events_bytes


@dataclass(frozen=True)
class Delivery:
    """What one target makes of one event: breakages, and the publish when AppSync would take it."""

    rule: RuleRoute
    target: TargetRoute
    breakages: tuple[Breakage, ...]
    publish: Publish | None = None
    admission: Admission | None = None  # for the target that runs an open source's ingress
    via_ingress: bool = False  # a delivery of the canonical event an ingress put back on the bus


@dataclass(frozen=True)
class IngressGate:
    """An open source's ingress as the template runs it: the function a rule targets, where refusals go."""

    open_source: OpenSource
    function_arn: str
    queue: str  # name of the queue refused events are sent to


@dataclass
class Observations:
    """What the events did, for the dead-end checks and the cost model."""

    events: int = 0
    refused_by_put_events: int = 0
    matched_rules: set[str] = field(default_factory=set)
    # (rule, target) -> channels its intact publishes went to, each with one event that went there
    channels: dict[tuple[str, str], dict[str, tuple[EventKind, Mapping[str, Any]]]] = field(
        default_factory=dict
    )


GroupKey = tuple[str, str, str]  # (rule logical id or bus logical id, target id or "", breakage kind)


@dataclass
class _Example:
    detail: Mapping[str, Any]
    minimal: bool  # an explicit example: an ordinary detail, or one with one field changed


@dataclass
class Refusals:
    """The events of one kind an ingress refused: how many, the fields named, the first (smallest) one."""

    kind: EventKind
    gate: IngressGate
    count: int = 0
    fields: set[str] = field(default_factory=set)
    first: _Example | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeptBy:
    """A rule of the bus that sends an event, intact, to a queue an alarm watches."""

    rule: str  # logical id
    queue: str  # queue name


@dataclass
class _Group:
    """One failure (rule, target, kind of breakage): the first event within the producers' contract that
    causes it, the first outside it that nothing keeps, and the first outside it that another rule keeps."""

    kind: EventKind
    conforming: _Example | None = None
    hostile: _Example | None = None
    hostile_kept: _Example | None = None
    kept_by: KeptBy | None = None
    count: int = 0


class PathCheck:
    """Runs the event kinds through the rules of one bus."""

    def __init__(
        self,
        rules: list[RuleRoute],
        bus_resource: str,
        options: PathSettings = PathSettings(),
        watched_queues: frozenset[str] = frozenset(),
        trusted_sources: frozenset[str] = frozenset(),
        ingresses: Mapping[str, IngressGate] | None = None,
    ) -> None:
        self.rules = rules
        self.bus_resource = bus_resource
        self.options = options
        self.watched_queues = watched_queues  # queues an alarm watches: what lands there is not silent
        self.trusted_sources = trusted_sources  # proven: only the application's functions may put them
        self.ingresses = dict(ingresses or {})  # open source -> its ingress
        self.observations = Observations()
        self._groups: dict[GroupKey, _Group] = {}
        self._refusals: dict[tuple[str, str], Refusals] = {}  # (source, detail-type) -> refused events
        self.not_sendable = 0  # details of trusted sources outside the contract: nobody else may put them
        # (open source, detail-type) -> the sources its ingress puts back
        self._put_back: dict[tuple[str, str], set[str]] = {}

    # --- one event ----------------------------------------------------------------------------------------

    def event(self, kind: EventKind, detail: Mapping[str, Any]) -> dict[str, Any] | None:
        """The event EventBridge would deliver for this detail, or None when PutEvents would refuse it."""
        entry = {"Source": kind.source, "DetailType": kind.detail_type, "Detail": json.dumps(detail)}
        if entry_size(entry) > self.options.max_put_events_bytes:
            return None
        parsed = check_entry(entry)
        if not isinstance(parsed, ValidEntry):
            return None
        account = self.options.account
        event = build_event(
            parsed, account=account.account_id, region=account.region, now_text=format_time(EVENT_TIME)
        )
        event["id"] = EVENT_ID
        return event

    def deliveries(
        self, kind: EventKind, event: Mapping[str, Any], rules: list[RuleRoute] | None = None
    ) -> Iterator[Delivery]:
        """What every target of the matching rules makes of the event (and of what an ingress puts back). A
        publish identical to one another target made of the same event (the same API, channel and events) is
        broken: AppSync broadcasts both, so subscribers receive the notification twice."""
        sent: dict[tuple[str, str, tuple[str, ...]], Delivery] = {}
        for delivery in self._deliveries(kind, event, rules):
            publish, appsync = delivery.publish, delivery.target.appsync
            if publish is not None and appsync is not None:
                first = sent.setdefault((appsync.api_resource, publish.channel, publish.events), delivery)
                if first is not delivery:
                    twice = Breakage(
                        DUPLICATE,
                        f"publishes the same events to {publish.channel} of {appsync.api_resource} as rule "
                        f"{first.rule.logical_id} target {first.target.target.id}: subscribers receive "
                        "the notification twice",
                    )
                    delivery = replace(delivery, breakages=(*delivery.breakages, twice))
            yield delivery

    def _deliveries(
        self, kind: EventKind, event: Mapping[str, Any], rules: list[RuleRoute] | None = None
    ) -> Iterator[Delivery]:
        ingestion = format_time(EVENT_TIME)
        gate = self.ingresses.get(kind.source)
        for route in self.rules if rules is None else rules:
            pattern = route.rule.pattern
            if pattern is None or not pattern.matches(event):
                continue
            context = DeliveryContext(route.rule.arn, route.rule.name, ingestion)
            for target in route.targets:
                if gate is not None and target.target.arn == gate.function_arn:
                    yield from self._through_ingress(kind, event, gate, route, target)
                    continue
                if gate is not None and target.appsync is not None:
                    unchecked = (
                        f"{kind.source} is put by outside producers, and this rule publishes it without its "
                        f"ingress {gate.open_source.function} in between"
                    )
                    yield Delivery(route, target, (Breakage(UNCHECKED, unchecked),))
                    continue
                rendered = render(target.target.input, event, context)
                if rendered.body is None:
                    attempted = rendered.attempted
                    problem = (
                        json_problem("the publish body" if target.appsync else "the input", attempted)
                        if attempted is not None
                        else str(rendered.dropped_because)
                    )
                    yield Delivery(route, target, (Breakage(NOT_JSON, problem),))
                elif target.appsync is not None:
                    publish, broken = inspect_publish(rendered.body, target.appsync, kind.fields_read)
                    if publish is not None:
                        broken.extend(misdirected(kind, event, publish.channel))
                    yield Delivery(route, target, tuple(broken), publish)
                else:
                    yield Delivery(route, target, ())

    def _through_ingress(
        self,
        kind: EventKind,
        event: Mapping[str, Any],
        gate: IngressGate,
        route: RuleRoute,
        target: TargetRoute,
    ) -> Iterator[Delivery]:
        """The ingress's verdict on the event, then (admitted) the deliveries of the event it puts back."""
        admission = gate.open_source.ingress(event["source"], event["detail-type"], event["detail"])
        yield Delivery(route, target, (), admission=admission)
        if not admission.admitted:
            return
        assert admission.source is not None and admission.detail_type is not None
        assert admission.detail is not None
        self._put_back.setdefault((kind.source, kind.detail_type), set()).add(admission.source)
        canonical_kind = replace(kind, source=admission.source, detail_type=admission.detail_type)
        canonical = self.event(canonical_kind, admission.detail)
        if canonical is None:
            problem = f"PutEvents refuses the event the ingress {gate.open_source.function} puts back"
            yield Delivery(route, target, (Breakage(UNCHECKED, problem),))
            return
        if canonical_kind.source in self.ingresses:
            problem = f"the ingress {gate.open_source.function} puts back an event of an open source"
            yield Delivery(route, target, (Breakage(UNCHECKED, problem),))
            return
        routed = False
        for delivery in self._deliveries(canonical_kind, canonical):  # `deliveries` compares them all
            routed = True
            yield replace(delivery, via_ingress=True)
        if not routed:  # dropped by EventBridge as silently as an unrouted event put by anyone
            problem = (
                f"the event the ingress {gate.open_source.function} puts back, {admission.detail_type} of "
                f"{admission.source}, matches no rule on {self.bus_resource}"
            )
            yield Delivery(route, target, (Breakage(UNROUTED, problem),), via_ingress=True)

    def _key(self, delivery: Delivery, breakage: Breakage) -> GroupKey:
        """The failure's group: the rule and target it broke on; for an event an ingress put back that no
        rule matches, the bus, with the target that ran the ingress."""
        if breakage.kind == UNROUTED:
            return (self.bus_resource, delivery.target.target.id, UNROUTED)
        return (delivery.rule.logical_id, delivery.target.target.id, breakage.kind)

    def kept_by(self, deliveries: list[Delivery]) -> KeptBy | None:
        """The first rule that sends this event, intact, to a queue an alarm watches."""
        for delivery in deliveries:
            queue = delivery.target.queue
            if not delivery.breakages and queue is not None and queue in self.watched_queues:
                return KeptBy(delivery.rule.logical_id, queue)
        return None

    def failures(self, kind: EventKind, detail: Mapping[str, Any]) -> dict[GroupKey, str]:
        """Every failure this detail causes, by group, with what broke."""
        event = self.event(kind, detail)
        if event is None:
            return {}
        found: dict[GroupKey, str] = {}
        routed = False
        for delivery in self.deliveries(kind, event):
            routed = True
            for breakage in delivery.breakages:
                found.setdefault(self._key(delivery, breakage), breakage.problem)
        if not routed:
            found[(self.bus_resource, "", UNROUTED)] = f"no rule on the bus matches this {kind.detail_type}"
        return found

    # --- exploring and shrinking --------------------------------------------------------------------------

    def observe(self, kind: EventKind, detail: Mapping[str, Any], *, minimal: bool, conforming: bool) -> None:
        """Run one detail through every rule; keep the first examples of every failure and what matched."""
        event = self.event(kind, detail)
        self.observations.events += 1
        if event is None:
            self.observations.refused_by_put_events += 1
            return
        deliveries = list(self.deliveries(kind, event))
        kept = self.kept_by(deliveries) if passes_any_guard(detail, kind.examples) else None
        routed = False
        for delivery in deliveries:
            routed = True
            self.observations.matched_rules.add(delivery.rule.logical_id)
            where = (delivery.rule.logical_id, delivery.target.target.id)
            if delivery.admission is not None and not delivery.admission.admitted:
                self._refused(kind, delivery.admission, _Example(detail, minimal))
            # what an ingress admitted must arrive intact, whatever the producer sent
            checked = conforming or delivery.via_ingress
            for breakage in delivery.breakages:
                self._keep(
                    self._key(delivery, breakage),
                    kind,
                    _Example(detail, minimal),
                    checked,
                    None if delivery.via_ingress else kept,
                )
            if delivery.publish is not None:
                channels = self.observations.channels.setdefault(where, {})
                channels.setdefault(delivery.publish.channel, (kind, detail))
        if not routed:
            self._keep((self.bus_resource, "", UNROUTED), kind, _Example(detail, minimal), conforming)

    def _refused(self, kind: EventKind, admission: Admission, example: _Example) -> None:
        gate = self.ingresses[kind.source]
        refusals = self._refusals.setdefault((kind.source, kind.detail_type), Refusals(kind, gate))
        refusals.count += 1
        # `detail.affectedConfigurations[2]` is the field `detail.affectedConfigurations`
        refusals.fields.update(re.sub(r"\[\d+\]", "", r.split(":", 1)[0]) for r in admission.reasons)
        if refusals.first is None or (example.minimal and not refusals.first.minimal):
            refusals.first, refusals.reasons = example, admission.reasons

    def sendable(self, kind: EventKind, detail: Mapping[str, Any]) -> bool:
        """Whether some principal may put this detail: any, unless the source is trusted (then only the
        application's functions, whose builders keep the contract)."""
        return kind.source not in self.trusted_sources or conforms(kind, detail)

    def explore_examples(self, kind: EventKind) -> None:
        """The kind's ordinary details, then each with every field in turn replaced by what a producer could
        send instead. These failures need no shrinking: an ordinary detail with one field changed is already
        a minimal counterexample."""
        for example in kind.examples:
            self.observe(kind, example, minimal=True, conforming=True)
        if kind.replacements is None:
            return
        for example in kind.examples:
            for name, value in example.items():
                for replacement in kind.replacements(value):
                    changed = dict(example)
                    if replacement is MISSING:
                        del changed[name]
                    else:
                        changed[name] = replacement
                    if not self.sendable(kind, changed):
                        self.not_sendable += 1
                        continue
                    self.observe(kind, changed, minimal=True, conforming=conforms(kind, changed))

    def explore_random(self, kind: EventKind, index: int) -> None:
        """`examples` details drawn by Hypothesis from the kind's strategy (seeded)."""

        def observe(detail: dict[str, Any]) -> bool:
            self.observe(kind, detail, minimal=False, conforming=conforms(kind, detail))
            return False

        drawn = kind
        if kind.source in self.trusted_sources:  # only the application may put it: draw what it can send
            within = kind.contract_details if kind.contract_details is not None else kind.details
            drawn = replace(kind, details=within.filter(lambda detail: conforms(kind, detail)))
        self._search(drawn, observe, index)

    def _keep(
        self, key: GroupKey, kind: EventKind, example: _Example, conforming: bool, kept: KeptBy | None = None
    ) -> None:
        group = self._groups.setdefault(key, _Group(kind))
        group.count += 1
        if conforming:
            if group.conforming is None:
                group.conforming = example
        elif kept is None:
            if group.hostile is None:
                group.hostile = example
        elif group.hostile_kept is None:
            group.hostile_kept, group.kept_by = example, kept

    def fails(
        self, key: GroupKey, kind: EventKind, detail: Mapping[str, Any], *, unkept: bool = False
    ) -> bool:
        """Whether this detail causes this failure (`unkept`: and no other rule keeps the event)."""
        if key[2] == UNROUTED:
            return key in self.failures(kind, detail)
        event = self.event(kind, detail)
        if event is None:
            return False
        deliveries = list(self.deliveries(kind, event))
        if unkept and passes_any_guard(detail, kind.examples) and self.kept_by(deliveries) is not None:
            return False
        return any(
            delivery.rule.logical_id == key[0]
            and delivery.target.target.id == key[1]
            and any(b.kind == key[2] for b in delivery.breakages)
            for delivery in deliveries
        )

    def shrink(self, key: GroupKey, example: _Example, conforming: bool, index: int) -> Mapping[str, Any]:
        """The smallest detail Hypothesis finds that causes this failure, within the producers' contract or
        not like the example; the example itself when it is explicit (already minimal) or not found again."""
        if example.minimal:
            return example.detail
        kind = self._groups[key].kind

        # a counterexample outside the contract must be one nothing keeps, like the example it stands for
        unkept = not conforming and example is self._groups[key].hostile

        def fails(detail: dict[str, Any]) -> bool:
            return conforms(kind, detail) is conforming and self.fails(key, kind, detail, unkept=unkept)

        found = self._search(kind, fails, index)
        return found if found is not None else example.detail

    def find_matching(self, kind: EventKind, route: RuleRoute, index: int) -> Mapping[str, Any] | None:
        """A detail of this kind that the rule matches, if Hypothesis finds one."""

        def matches(detail: dict[str, Any]) -> bool:
            event = self.event(kind, detail)
            return event is not None and route.rule.pattern is not None and route.rule.pattern.matches(event)

        return self._search(kind, matches, index)

    def _search(
        self, kind: EventKind, condition: Callable[[dict[str, Any]], bool], index: int
    ) -> dict[str, Any] | None:
        budget = settings(
            database=None,
            max_examples=self.options.examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.generate, Phase.shrink),
        )
        with warnings.catch_warnings():
            # Hypothesis warns about the repr of huge strings; the report abbreviates them itself.
            warnings.simplefilter("ignore", HypothesisWarning)
            try:
                found: dict[str, Any] = find(
                    kind.details, condition, settings=budget, random=random.Random(self.options.seed + index)
                )
            except NoSuchExample:
                return None
        return found

    # --- the report ---------------------------------------------------------------------------------------

    def run(self, kinds: tuple[EventKind, ...]) -> CheckResults:
        results = CheckResults()
        for index, kind in enumerate(kinds):
            self.explore_examples(kind)
            self.explore_random(kind, index)
        # What an ingress puts back, when its source is not proven trusted, anyone may put directly.
        untrusted = [
            replace(kind, source=source)
            for kind in kinds
            for source in sorted(self._put_back.get((kind.source, kind.detail_type), ()))
            if source not in self.trusted_sources
        ]
        for index, kind in enumerate(untrusted, start=len(kinds)):
            self.explore_examples(kind)
            self.explore_random(kind, index)
        kinds = (*kinds, *untrusted)
        index_of = {id(kind): index for index, kind in enumerate(kinds)}
        for key in sorted(self._groups):
            group = self._groups[key]
            index = index_of[id(group.kind)]
            conforming = group.conforming is not None
            example = group.conforming or group.hostile or group.hostile_kept
            assert example is not None  # a group is made with its first example
            detail = self.shrink(key, example, conforming, index)
            # a notification clients receive broken is not made whole by a copy kept elsewhere
            delivered = key[2] in (FIELDS, UNDECLARED_CHANNEL)
            kept_by = group.kept_by if example is group.hostile_kept and not delivered else None
            finding = self._finding(key, group.kind, detail, conforming, kept_by)
            verdict = KEPT if kept_by is not None else self._verdict(key, conforming)
            if verdict == FAILS:
                results.fail(finding)
            elif verdict == KEPT:
                results.keep(finding)
            else:
                results.note(PATH, f"{finding.resource}/{finding.target}: {finding.problem} ({verdict})")
        refused = 0
        for refusals in self._refusals.values():
            refused += refusals.count
            finding = self._refusal_finding(refusals)
            if refusals.gate.queue in self.watched_queues:
                results.keep(finding)
            else:
                results.fail(finding)
        routes = sum(len(route.targets) for route in self.rules)
        seen = self.observations
        results.examined[PATH] = (
            f"{counted(seen.events, 'event')} of {counted(len(kinds), 'kind')} through "
            f"{counted(len(self.rules), 'rule')} and {counted(routes, 'target')} "
            f"({seen.refused_by_put_events:,} refused by PutEvents, as their producer would be told"
            + (f"; {refused:,} refused by an ingress" if self.ingresses else "")
            + (
                f"; {self.not_sendable:,} outside the contract not sent, as only the application may put "
                "their source"
                if self.trusted_sources
                else ""
            )
            + ")"
        )
        return results

    def _refusal_finding(self, refusals: Refusals) -> Finding:
        kind, gate = refusals.kind, refusals.gate
        example = refusals.first
        assert example is not None  # made with its first refusal
        watched = gate.queue in self.watched_queues
        return Finding(
            PATH,
            gate.open_source.function,
            f"{kind.detail_type}: {refusals.count:,} events of {kind.source} refused by the ingress "
            f"(fields: {', '.join(sorted(refusals.fields))}); e.g. {'; '.join(refusals.reasons)}",
            outcome=f"the ingress sends each, with its reasons, to queue {gate.queue} "
            + ("(an alarm watches it)" if watched else "(no alarm watches it: nobody is told)"),
            hint=None if watched else f"add an alarm on the depth of queue {gate.queue}",
            counterexample={
                "source": kind.source,
                "detail-type": kind.detail_type,
                "detail": abbreviated(example.detail),
            },
            culprit=unlike_ordinary(example.detail, kind.examples),
            kind="refused-by-ingress",
        )

    def _verdict(self, key: GroupKey, conforming: bool) -> str:
        """FAILS, KEPT, or (for what AWS does UNCONFIRMED) why it is only noted.

        Every failure of an event within the producers' contract fails the check: legitimate notifications
        must arrive intact. So does every failure of an event outside it that a rule's guard could have kept
        out, or that is lost without a trace. What no guard can prevent (an invalid channel segment, a size
        over AppSync's limits) is only *kept* when AppSync's refusal lands in a dead-letter queue an alarm
        watches: nothing is lost and someone is told."""
        breakage = key[2]
        if breakage == NOT_TEXT and not conforming:
            # UNCONFIRMED: EventBridge may encode a lone surrogate as `?` and deliver; locally it is refused.
            return "how EventBridge sends a lone surrogate is UNCONFIRMED; the local cloud refuses it"
        if conforming or breakage not in UNGUARDABLE:
            return FAILS
        queue = self._target(key).target.dead_letter_queue
        return KEPT if queue is not None and queue in self.watched_queues else FAILS

    def _target(self, key: GroupKey) -> TargetRoute:
        return next(
            t for r in self.rules if r.logical_id == key[0] for t in r.targets if t.target.id == key[1]
        )

    def _finding(
        self,
        key: GroupKey,
        kind: EventKind,
        detail: Mapping[str, Any],
        conforming: bool,
        kept_by: KeptBy | None = None,
    ) -> Finding:
        resource, target_id, breakage = key
        problem = self.failures(kind, detail).get(key) or "it fails"
        example = {"source": kind.source, "detail-type": kind.detail_type, "detail": abbreviated(detail)}
        culprit = unlike_ordinary(detail, kind.examples)
        within = "" if not conforming or culprit is None else " (within the producers' contract)"
        if breakage == UNROUTED:
            put_back = bool(target_id)  # the event an ingress put back
            return Finding(
                PATH,
                resource,
                problem + within,
                target=target_id or None,
                outcome="EventBridge drops an event no rule matches, without a trace",
                hint=f"add, or enable, a rule on {resource} whose pattern matches what the ingress puts back"
                if put_back
                else "route it, or send what fails a rule's guard to a rule that keeps it (a queue)",
                counterexample=example,
                culprit=culprit,
                kind=UNROUTED,
            )
        target = self._target(key)
        outcome = _outcome(breakage, target, target.target.dead_letter_queue in self.watched_queues)
        if kept_by is not None:
            outcome += (
                f"; the event itself is kept: rule {kept_by.rule} sends it to queue {kept_by.queue}, "
                "which an alarm watches"
            )
        return Finding(
            PATH,
            resource,
            f"{kind.detail_type}: {problem}{within}",
            target=target_id,
            outcome=outcome,
            hint=_HINTS.get(breakage),
            counterexample=example,
            culprit=culprit,
            kind=breakage,
        )


_HINTS = {
    UNCHECKED: "route the open source only to its ingress, and notify from the events the ingress puts back",
    NOT_JSON: "guard the rule's pattern so only values that splice safely match, or quote the placeholder",
    FIELDS: "guard the rule's pattern so the field exists and is not empty (clients get a missing path as "
    '""), or stop reading it in clients',
    UNDECLARED_CHANNEL: "publish it where its clients read it, or declare the channel for it",
    MISDIRECTED: "build the target's channel from the fields, in the order, of a channel the application "
    "sends the event to",
    DUPLICATE: "remove one of the two targets (a copy of the other), or make them publish to different "
    "channels",
}


def _outcome(breakage: str, target: TargetRoute, watched: bool) -> str:
    if breakage == UNCHECKED:
        return (
            "a value no event pattern can refuse (a control character, a list) makes the publish body "
            "invalid JSON, which EventBridge drops without a trace"
        )
    if breakage == NOT_JSON:
        return SILENT_DROP
    if breakage in (FIELDS, UNDECLARED_CHANNEL):
        return DELIVERED_INCOMPLETE
    if breakage == MISDIRECTED:
        return "delivered where none of the event's clients subscribe: they never receive it"
    if breakage == DUPLICATE:
        return "delivered twice: every subscriber of the channel receives the same notification twice"
    queue = target.target.dead_letter_queue
    if queue is None:
        return f"{REJECTED}: with no dead-letter queue it is lost"
    after = "after the retry policy runs out" if breakage == AUTH_MODE else "at once"
    told = "an alarm watches it" if watched else "no alarm watches it"
    return f"{REJECTED}: it goes to dead-letter queue {queue} {after} ({told})"


def misdirected(kind: EventKind, event: Mapping[str, Any], channel: str) -> list[Breakage]:
    """A publish to a channel the application does not send this event to (when it says where it does)."""
    if kind.channels_for is None:
        return []
    expected = kind.channels_for(event["detail"])
    if channel in expected:
        return []
    where = ", ".join(expected) or "no channel"
    return [Breakage(MISDIRECTED, f"published to {channel}; the application sends this event to {where}")]


def passes_any_guard(detail: Mapping[str, Any], examples: tuple[Mapping[str, Any], ...]) -> bool:
    """Whether the detail holds a list where ordinary details hold a single value: a pattern matches a list
    when one element matches, so no guard can keep it out (a missing field or a bad character it can)."""
    return any(
        isinstance(value, list) and all(not isinstance(example.get(name), list) for example in examples)
        for name, value in detail.items()
    )


def conforms(kind: EventKind, detail: Mapping[str, Any]) -> bool:
    """Whether a detail keeps the producers' contract: the kind says, or only its ordinary examples do."""
    if kind.conforms is not None:
        return kind.conforms(detail)
    return any(dict(detail) == dict(example) for example in kind.examples)


def unlike_ordinary(detail: Mapping[str, Any], examples: tuple[Mapping[str, Any], ...]) -> str | None:
    """How a detail differs from the nearest ordinary one: `priority = "\\""`, `region left out`."""
    best: list[str] | None = None
    for example in examples:
        differences = [f"{name} left out" for name in example if name not in detail] + [
            f"{name} = {json.dumps(abbreviated(value))}"
            for name, value in detail.items()
            if name not in example or example[name] != value or type(example[name]) is not type(value)
        ]
        if best is None or len(differences) < len(best):
            best = differences
    return "; ".join(f"detail.{difference}" for difference in best) if best else None


def abbreviated(value: Any) -> Any:
    """A detail as a report shows it: long strings cut, with their length."""
    if isinstance(value, str) and len(value) > LONGEST_SHOWN:
        return f"{value[:40]}…({len(value):,} characters)"
    if isinstance(value, Mapping):
        return {key: abbreviated(item) for key, item in value.items()}
    if isinstance(value, list):
        return [abbreviated(item) for item in value]
    return value
