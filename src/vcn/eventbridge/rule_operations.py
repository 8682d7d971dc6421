"""Rule operations: PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule and
ListRuleNamesByTarget. Each enabled rule with a pattern sits in its bus's rule index, which PutEvents asks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.errors import EventBridgeError, limit_exceeded, validation_error
from vcn.eventbridge.handler_group import ResourceOperations, answers
from vcn.eventbridge.listing import list_response
from vcn.eventbridge.model import DISABLED, ENABLED, EventBus, Rule
from vcn.eventbridge.pagination import page
from vcn.eventbridge.patterns import EventPattern, InvalidEventPattern, compile_pattern
from vcn.timetable import InvalidScheduleExpression, parse_schedule

log = logging.getLogger("vcn.eventbridge")


def check_schedule_expression(expression: str) -> None:
    """ValidationException with AWS's message unless `expression` is a rate or cron AWS accepts."""
    try:
        parse_schedule(expression)
    except InvalidScheduleExpression as exc:
        # AWS's message names no reason; the local log does.
        log.warning("ScheduleExpression %r refused: %s", expression, exc)
        raise validation_error("Parameter ScheduleExpression is not valid.") from None


def compile_event_pattern(pattern: str) -> EventPattern:
    """A compiled pattern, or InvalidEventPatternException with AWS's message."""
    try:
        return compile_pattern(pattern)
    except InvalidEventPattern as exc:
        raise EventBridgeError("InvalidEventPatternException", str(exc)) from None


def index_rule(bus: EventBus, rule: Rule) -> None:
    """File the rule in its bus's index as it is now (enabled with a pattern), or take it out."""
    bus.index.remove(rule.name)
    if rule.enabled and rule.pattern is not None:
        bus.index.add(rule.name, rule.pattern)


class RuleOperations(ResourceOperations):
    """Rules of a bus: their pattern or schedule, and their state."""

    @answers("PutRule")
    def put(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        bus = self.resources.bus(request.get("EventBusName"))
        pattern_text = request.get("EventPattern")
        schedule = request.get("ScheduleExpression")
        if pattern_text is None and schedule is None:
            raise validation_error("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if schedule is not None and bus.name != arns.DEFAULT_BUS:
            raise validation_error("ScheduleExpression is supported only on the default event bus.")
        if schedule is not None:
            check_schedule_expression(schedule)
        pattern = compile_event_pattern(pattern_text) if pattern_text is not None else None
        existing = bus.rules.get(name)
        settings = self.resources.settings
        if existing is None and len(bus.rules) >= settings.max_rules_per_bus:
            raise limit_exceeded(
                f"Event bus {bus.name} already has {len(bus.rules)} rules, the maximum; delete a rule first."
            )
        # PutRule replaces the whole definition (AWS: omitted arguments become null); targets and tags stay.
        rule = Rule(
            name=name,
            bus=bus.name,
            arn=arns.rule_arn(self.resources.region, self.resources.account, bus.name, name),
            event_pattern=pattern_text,
            pattern=pattern,
            schedule_expression=schedule,
            state=request.get("State") or ENABLED,
            description=request.get("Description"),
            role_arn=request.get("RoleArn"),
            account=self.resources.account,
            targets=existing.targets if existing else {},
            tags=existing.tags if existing else {},
        )
        rule.tags.update((tag["Key"], tag["Value"]) for tag in request.get("Tags") or [])
        bus.rules[name] = rule
        index_rule(bus, rule)
        return {"RuleArn": rule.arn}

    @answers("DescribeRule")
    def describe(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.resources.rule(request.get("EventBusName"), request["Name"])[1].describe()

    @answers("ListRules")
    def list(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self.resources.bus(request.get("EventBusName"))
        return list_response("ListRules", bus.rules, request, Rule.describe)

    @answers("DeleteRule")
    def delete(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self.resources.bus(request.get("EventBusName"))
        name = request["Name"]
        rule = bus.rules.get(name)
        if rule is None:
            return {}
        if rule.targets:
            raise validation_error("Rule can't be deleted since it has targets.")
        bus.index.remove(name)
        del bus.rules[name]
        return {}

    @answers("EnableRule")
    def enable(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.set_state(request, ENABLED)

    @answers("DisableRule")
    def disable(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.set_state(request, DISABLED)

    def set_state(self, request: Mapping[str, Any], state: str) -> dict[str, Any]:
        bus, rule = self.resources.rule(request.get("EventBusName"), request["Name"])
        rule.state = state
        index_rule(bus, rule)
        return {}

    @answers("ListRuleNamesByTarget")
    def names_by_target(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self.resources.bus(request.get("EventBusName"))
        target_arn = request["TargetArn"]
        names = [
            name
            for name, rule in sorted(bus.rules.items())
            if any(target.arn == target_arn for target in rule.targets.values())
        ]
        chosen, more = page(names, request, lambda name: name)
        return {"RuleNames": chosen, **more}
