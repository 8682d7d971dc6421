"""The EventBridge API: `EventBridgeService.call(operation, request)` takes and returns AWS's JSON shapes.

PutEvents and TestEventPattern live here: events are validated, recorded by the bus's archives, routed
through its rule index and handed to the dispatcher, which delivers asynchronously; replays and scheduled
rules hand their events to the same dispatcher. Resources are the control plane's
(`control_plane.ControlPlane`). Redrive claims dead-lettered messages from the store and sends each through
its rule's target again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vcn import arns
from vcn.eventbridge.api_destination import ApiDestinationClient
from vcn.eventbridge.connection_auth import ConnectionAuthorizer
from vcn.eventbridge.control_plane import ControlPlane, Operation, compile_event_pattern
from vcn.eventbridge.delivery import Delivery, Dispatcher
from vcn.eventbridge.dlq import Claim, DeadLetterMessage, DeadLetterStore, RedriveOutcome, RedriveReport
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.input_transformer import DeliveryContext, render
from vcn.eventbridge.metrics import DeliveryMetrics
from vcn.eventbridge.operations import operation_table
from vcn.eventbridge.put_events import build_event, check_entry, check_request, format_time, parse_test_event
from vcn.eventbridge.scheduled_rules import TICKS_FILE, ScheduledRules
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.invoker import LambdaInvoker
from vcn.timetable import Clock, SystemClock, TickMemory, Timetable

log = logging.getLogger("vcn.eventbridge")

# Redeliveries in flight at once during one redrive (each may wait up to the HTTP timeout).
REDRIVE_CONCURRENCY = 8


class EventBridgeService:
    """One account and region of the local EventBridge."""

    def __init__(
        self,
        account: str,
        region: str,
        *,
        state_dir: Path,
        invoker: LambdaInvoker | None = None,
        settings: EventBridgeSettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.account = account
        self.region = region
        self.settings = settings or EventBridgeSettings()
        self.state_dir = Path(state_dir)
        self.metrics = DeliveryMetrics()
        self.dead_letters = DeadLetterStore(self.state_dir)
        self.http = ApiDestinationClient(
            ConnectionAuthorizer(
                self.settings.oauth_expiry_margin_seconds, self.settings.http_timeout_seconds
            ),
            self.settings.http_timeout_seconds,
        )
        # Resources created through the API come back with `resources.restore()`, once the template's exist.
        self.resources = ControlPlane(
            account,
            region,
            self.settings,
            state_dir=self.state_dir,
            authorization=self.http,
            replay_route=self._replay_to,
            pending_deliveries=lambda: self.dispatcher.pending,
        )
        self.dispatcher = Dispatcher(
            self.settings, self.metrics, self.dead_letters, self.http, self.resources, invoker
        )
        self.clock = clock or SystemClock()
        self.schedules = ScheduledRules(
            self.resources.resources,
            Timetable(self.clock, TickMemory(self.state_dir / TICKS_FILE), name="scheduled rule"),
            self.dispatcher,
        )
        self.resources.listeners.append(self.schedules.reconcile)
        # Every operation of EventBridge's model, validated against it first; those without a handler here
        # answer UnsupportedOperation.
        self._operations: dict[str, Operation] = operation_table(
            {
                "PutEvents": self._put_events,
                "TestEventPattern": self._test_event_pattern,
                **self.resources.operations(),
            }
        )

    def start(self) -> None:
        """Bring back what was created through the API before the last stop (call it once the template's
        resources exist), then start what runs on the clock: scheduled rules. Needs a running event loop."""
        self.resources.restore()
        self.schedules.start()

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._operations)

    async def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run one API operation; raises EventBridgeError with AWS's code and message.

        Accepted events are handed to the dispatcher, whose delivery tasks run on the calling loop."""
        handler = self._operations.get(operation)
        if handler is None:
            raise EventBridgeError(
                "UnknownOperationException",
                f"{operation} is not an EventBridge operation (botocore's EventBridge model has no such "
                "operation); check the X-Amz-Target header.",
            )
        return handler(request)

    def _put_events(self, request: Mapping[str, Any]) -> dict[str, Any]:
        entries = check_request(request.get("Entries"), self.settings.max_put_events_bytes)
        now = datetime.now(UTC)
        ingested_at = time.monotonic()
        ingestion_time = format_time(now)
        results: list[dict[str, Any]] = []
        failed = 0
        for entry in entries:
            detail, failure = check_entry(entry)
            if failure is not None or detail is None:
                failed += 1
                results.append(failure.as_result() if failure else {})
                continue
            event = build_event(
                entry, detail, account=self.account, region=self.region, now=now, now_text=ingestion_time
            )
            results.append({"EventId": event["id"]})
            self._route(arns.bus_name(entry.get("EventBusName")), event, ingestion_time, ingested_at)
        self.resources.archives.commit()  # what the archives recorded, durable before PutEvents answers
        return {"FailedEntryCount": failed, "Entries": results}

    def _route(self, bus_name: str, event: dict[str, Any], ingestion_time: str, ingested_at: float) -> None:
        bus = self.resources.bus(bus_name)
        if bus is None:
            self.metrics.dropped_events += 1
            log.error(
                "EVENT DROPPED: PutEvents named event bus %r, which does not exist; event %s (source=%s, "
                "detail-type=%s) went nowhere. AWS accepts and drops it the same way. Existing buses: %s",
                bus_name,
                event["id"],
                event["source"],
                event["detail-type"],
                ", ".join(self.resources.bus_names()),
            )
            return
        self.resources.archives.record(bus.arn, event)  # the archives of the bus record what it accepted
        for rule_name in bus.index.match(event):
            rule = bus.rules.get(rule_name)
            if rule is not None and rule.enabled:
                self.dispatcher.fan_out(rule, event, ingestion_time, ingested_at)

    def _replay_to(self, bus_name: str, event: dict[str, Any], rule_arns: frozenset[str]) -> bool:
        """Route a replayed event through the bus's rules (only `rule_arns` when given); False: no bus."""
        bus = self.resources.bus(bus_name)
        if bus is None:
            return False
        ingestion_time = format_time(datetime.now(UTC))
        for rule_name in bus.index.match(event):
            rule = bus.rules.get(rule_name)
            if rule is not None and rule.enabled and (not rule_arns or rule.arn in rule_arns):
                self.dispatcher.fan_out(rule, event, ingestion_time, time.monotonic())
        return True

    def _test_event_pattern(self, request: Mapping[str, Any]) -> dict[str, Any]:
        pattern = compile_event_pattern(request["EventPattern"])
        event = parse_test_event(request.get("Event"))
        return {"Result": bool(pattern.matches(event))}

    async def redrive(
        self, queue: str | None = None, message_ids: Iterable[str] | None = None
    ) -> RedriveReport:
        """Send dead-lettered events through their rule's target again, a few at a time.

        Delivered messages leave the queue; failed ones go back unchanged, each failure logged with why."""
        claims, skipped = self.dead_letters.claim(queue, message_ids)
        report = RedriveReport(skipped=list(skipped))
        slots = asyncio.Semaphore(REDRIVE_CONCURRENCY)

        async def redrive_one(claim: Claim) -> None:
            async with slots:
                settled = False
                try:
                    outcome = await self.redeliver(claim.message)
                    if outcome.delivered:
                        self.dead_letters.settle(claim)
                        settled = True
                        report.redriven.append(claim.message.message_id)
                    else:
                        report.failed[claim.message.message_id] = outcome.error
                        log.warning(
                            "redrive of %s (queue %s) failed: %s",
                            claim.message.message_id,
                            claim.message.queue,
                            outcome.error,
                        )
                finally:
                    if not settled:
                        self.dead_letters.release(claim)

        await asyncio.gather(*(redrive_one(claim) for claim in claims))
        return report

    async def redeliver(self, message: DeadLetterMessage) -> RedriveOutcome:
        """One attempt to send a dead-lettered event through its rule's target (as it is configured now)."""
        if not message.rule_arn:
            return RedriveOutcome(
                False,
                "no EventBridge rule sent this message (it is a Lambda function's failed asynchronous "
                "invocation); run the function again with its payload, e.g. `vcn local invoke <function> -e`",
            )
        found = self.resources.target(message.rule_arn, message.target_id)
        if found is None:
            return RedriveOutcome(
                False,
                f"rule {message.rule_arn} or its target {message.target_id} does not exist now; "
                "recreate it (e.g. start the local cloud with the same template) and redrive again",
            )
        rule, target = found
        context = DeliveryContext(rule.arn, rule.name, format_time(datetime.now(UTC)))
        rendered = render(target.input, message.event, context)
        if rendered.body is None:
            return RedriveOutcome(False, f"nothing to deliver: {rendered.dropped_because}")
        delivery = Delivery(rule.arn, rule.name, target, message.event, rendered.body, time.monotonic())
        result = await self.dispatcher.attempt(delivery)
        if result.delivered:
            return RedriveOutcome(True)
        return RedriveOutcome(False, f"{result.error_code}: {result.error_message}")

    async def shutdown(self, grace_seconds: float) -> int:
        """Stop the schedules and replays, finish or dead-letter pending deliveries, then close outbound
        connections."""
        await self.schedules.stop()
        await self.resources.stop()
        leftovers = await self.dispatcher.drain(grace_seconds)
        await self.http.close()
        return leftovers
