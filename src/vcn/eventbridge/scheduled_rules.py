"""Scheduled rules: every enabled rule with a ScheduleExpression fires on its ticks.

Each tick sends AWS's scheduled event (source `aws.events`, detail-type `Scheduled Event`, the rule's ARN in
`resources`, an empty `detail`, `time` the tick) to that rule's targets through the ordinary dispatch, so
input transformation, retries and dead-letter queues apply as to any matched event. The event goes to the
rule alone: other rules do not see it and archives do not record it (UNCONFIRMED; AWS documents no other
path for it). The timetable's memory (`eventbridge-schedule-ticks.json` in the state folder) keeps rates on
their grid and stops a tick from firing twice across restarts.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

from vcn import arns
from vcn.eventbridge.delivery import Dispatcher
from vcn.eventbridge.model import Rule
from vcn.eventbridge.put_events import format_time
from vcn.eventbridge.resources import Resources
from vcn.timetable import Schedule, Timetable, parse_schedule

TICKS_FILE = "eventbridge-schedule-ticks.json"
SCHEDULED_SOURCE = "aws.events"
SCHEDULED_DETAIL_TYPE = "Scheduled Event"


def scheduled_event(rule: Rule, tick: float, *, account: str, region: str) -> dict[str, Any]:
    """The event a scheduled rule's targets receive, keys in AWS's order."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SCHEDULED_DETAIL_TYPE,
        "source": SCHEDULED_SOURCE,
        "account": account,
        "time": format_time(datetime.fromtimestamp(tick, UTC)),
        "region": region,
        "resources": [rule.arn],
        "detail": {},
    }


@lru_cache(maxsize=1024)
def _schedule(expression: str) -> Schedule:
    return parse_schedule(expression)  # PutRule accepted it, so it parses


class ScheduledRules:
    """Keeps the timetable in step with the rules (`reconcile()` after every change) and fires them."""

    def __init__(self, resources: Resources, timetable: Timetable, dispatcher: Dispatcher) -> None:
        self.resources = resources
        self.timetable = timetable
        self.dispatcher = dispatcher
        self._started = False

    def start(self) -> None:
        """Start firing (in a running event loop), once the rules of the template and the API exist."""
        self._started = True
        self.reconcile()
        self.timetable.start()

    async def stop(self) -> None:
        await self.timetable.stop()

    def reconcile(self) -> None:
        """Plan every enabled scheduled rule, drop the others; forget the ticks of rules that are gone."""
        if not self._started:
            return
        scheduled = {
            rule.arn: rule
            for bus in self.resources.buses.values()
            for rule in bus.rules.values()
            if rule.schedule_expression is not None
        }
        for arn in self.timetable.planned():
            rule = scheduled.get(arn)
            if rule is None or not rule.enabled:
                self.timetable.cancel(arn, forget=rule is None)
        for arn, rule in scheduled.items():
            if rule.enabled and rule.schedule_expression is not None:
                self.timetable.plan(arn, _schedule(rule.schedule_expression), partial(self._fire, arn))
        self.timetable.memory.keep_only(scheduled)

    def _fire(self, rule_arn: str, tick: float) -> None:
        rule = self._rule(rule_arn)
        if rule is None or not rule.enabled:
            return
        event = scheduled_event(rule, tick, account=self.resources.account, region=self.resources.region)
        now = time.time()
        self.dispatcher.fan_out(rule, event, format_time(datetime.fromtimestamp(now, UTC)), now)

    def _rule(self, rule_arn: str) -> Rule | None:
        bus_name, rule_name = arns.parse_rule_arn(rule_arn)
        bus = self.resources.buses.get(bus_name)
        return bus.rules.get(rule_name) if bus is not None else None
