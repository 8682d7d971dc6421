"""The EventBridge API: `EventBridgeService.call(operation, request)` takes and returns AWS's JSON shapes.

PutEvents and TestEventPattern live here. A PutEvents request is checked whole before anything happens
(`put_events`); then its events are recorded by their bus's archives and routed through its rule index, the
resulting deliveries are journaled, and only then does PutEvents answer and the dispatcher deliver them
asynchronously. Replays and scheduled rules hand their events to the same dispatcher. Resources are the
control plane's (`control_plane.ControlPlane`). Redrives (`redrive.Redrives`) claim dead-lettered messages
and send each through its rule's target again, in the background.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vcn.clock import Clock, SystemClock
from vcn.eventbridge.api_destination import ApiDestinationClient
from vcn.eventbridge.connection_auth import ConnectionAuthorizer
from vcn.eventbridge.control_plane import ControlPlane, compile_event_pattern
from vcn.eventbridge.delivery import Dispatcher, DrainReport, Routed
from vcn.eventbridge.dlq import DeadLetterMessage, DeadLetterStore
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.input_transformer import DeliveryContext, render
from vcn.eventbridge.invocation import TargetInvoker
from vcn.eventbridge.journal import DeliveryJournal, Journal, JournalError, NullJournal, journal_path
from vcn.eventbridge.metrics import DeliveryMetrics
from vcn.eventbridge.operations import ServiceOperation, operation_table
from vcn.eventbridge.put_events import (
    EntryFailure,
    build_event,
    check_entry,
    check_request,
    format_time,
    log_failure,
    parse_test_event,
)
from vcn.eventbridge.redrive import RedriveOutcome, RedriveRun, Redrives
from vcn.eventbridge.scheduled_rules import TICKS_FILE, ScheduledRules
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.invoker import LambdaInvoker
from vcn.timetable import TickMemory, Timetable

log = logging.getLogger("vcn.eventbridge")


class EventBridgeService:
    """One account and region of the local EventBridge.

    `clock` is cloud time (schedules run on it, and `--time-scale` speeds it up); `wall` is real time, which
    deliveries, retries and event ages keep."""

    def __init__(
        self,
        account: str,
        region: str,
        *,
        state_dir: Path,
        invoker: LambdaInvoker | None = None,
        settings: EventBridgeSettings | None = None,
        clock: Clock | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.account = account
        self.region = region
        self.settings = settings or EventBridgeSettings()
        self.state_dir = Path(state_dir)
        self.clock = clock or SystemClock()
        self.wall = wall
        self.metrics = DeliveryMetrics()
        self.dead_letters = DeadLetterStore(self.state_dir)
        self.dead_letters.recover()
        self.journal: Journal = (
            DeliveryJournal(journal_path(self.state_dir), synchronous=self.settings.journal_synchronous)
            if self.settings.journal
            else NullJournal()
        )
        self.http = ApiDestinationClient(
            ConnectionAuthorizer(
                self.settings.oauth_expiry_margin_seconds, self.settings.http_timeout_seconds
            ),
            self.settings.http_timeout_seconds,
        )
        # Resources created through the API come back with `start()`, once the template's exist.
        self.resources = ControlPlane(
            account,
            region,
            self.settings,
            state_dir=self.state_dir,
            authorization=self.http,
            replay_route=self._replay_to,
            pending_deliveries=lambda: self.dispatcher.pending,
        )
        self.targets = TargetInvoker(
            self.settings, self.metrics, self.http, self.resources, invoker, self.dead_letters
        )
        self.dispatcher = Dispatcher(
            self.settings, self.metrics, self.dead_letters, self.journal, self.targets, wall
        )
        self.redrives = Redrives(self.dead_letters, self.redeliver)
        self.schedules = ScheduledRules(
            self.resources.resources,
            Timetable(self.clock, TickMemory(self.state_dir / TICKS_FILE), name="scheduled rule"),
            self.dispatcher,
        )
        self.resources.listeners.append(self.schedules.reconcile)
        # Every operation of EventBridge's model, validated against it first; those without a handler here
        # answer UnsupportedOperation.
        self._operations: dict[str, ServiceOperation] = operation_table(
            {
                "PutEvents": self._put_events,
                "TestEventPattern": self._test_event_pattern,
                **self.resources.operations(),
            }
        )

    def start(self) -> None:
        """Bring back what was created through the API before the last stop (call it once the template's
        resources exist), resume the deliveries an earlier run left in the journal, then start what runs on
        the clock: scheduled rules. Needs a running event loop; call before serving PutEvents."""
        self.resources.restore()
        self.resume()
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
        result = handler(request)
        # PutEvents is asynchronous (it waits for the journal); the control plane's operations are not.
        return await result if inspect.isawaitable(result) else result

    def resume(self) -> int:
        """Resume the deliveries an earlier run left in the journal; once the rules exist again and before
        PutEvents is served."""
        resumed = self.dispatcher.resume()
        if resumed:
            log.info(
                "resuming %d pending deliveries from the journal %s", resumed, journal_path(self.state_dir)
            )
        return resumed

    async def _put_events(self, request: Mapping[str, Any]) -> dict[str, Any]:
        entries = check_request(request["Entries"], self.settings.max_put_events_bytes)
        checked = [check_entry(entry, position) for position, entry in enumerate(entries, 1)]
        # Nothing has happened yet: every refusal above left no trace.
        accepted_at = self.wall()
        ingestion_time = format_time(datetime.fromtimestamp(accepted_at, UTC))
        results: list[dict[str, Any]] = []
        routed: list[Routed] = []
        unknown_bus: list[tuple[str, dict[str, Any]]] = []
        failed = 0
        for position, item in enumerate(checked, 1):
            if isinstance(item, EntryFailure):
                failed += 1
                log_failure(position, item)
                results.append(item.as_result())
                continue
            event = build_event(item, account=self.account, region=self.region, now_text=ingestion_time)
            results.append({"EventId": event["id"]})
            bus = self.resources.bus(item.event_bus)
            if bus is None:
                unknown_bus.append((item.event_bus, event))
                continue
            self.resources.archives.record(bus.arn, event)  # the archives of the bus record what it accepted
            for rule_name in bus.index.match(event):
                rule = bus.rules.get(rule_name)
                if rule is not None and rule.enabled:
                    routed.extend(self.dispatcher.route(rule, event, ingestion_time, accepted_at))
        try:
            await self.dispatcher.accept(routed)
        except JournalError as exc:
            # Nothing was delivered or counted: the caller's retry is safe.
            raise EventBridgeError("InternalException", f"The events were not accepted: {exc}", 500) from None
        finally:
            self.resources.archives.commit()  # what the archives recorded, durable before PutEvents answers
        for bus_name, event in unknown_bus:
            self._dropped_for_unknown_bus(bus_name, event)
        return {"FailedEntryCount": failed, "Entries": results}

    def _dropped_for_unknown_bus(self, bus_name: str, event: Mapping[str, Any]) -> None:
        self.metrics.dropped_events += 1
        log.error(
            "EVENT DROPPED: PutEvents named event bus %r, which does not exist; event %s (source=%s, "
            "detail-type=%s) went nowhere. AWS accepts and drops it the same way. Existing buses "
            "(account %s, %s): %s",
            bus_name,
            event["id"],
            event["source"],
            event["detail-type"],
            self.account,
            self.region,
            ", ".join(self.resources.bus_names()),
        )

    def _replay_to(self, bus_name: str, event: dict[str, Any], rule_arns: frozenset[str]) -> bool:
        """Route a replayed event through the bus's rules (only `rule_arns` when given); False: no bus."""
        bus = self.resources.bus(bus_name)
        if bus is None:
            return False
        now = self.wall()
        ingestion_time = format_time(datetime.fromtimestamp(now, UTC))
        for rule_name in bus.index.match(event):
            rule = bus.rules.get(rule_name)
            if rule is not None and rule.enabled and (not rule_arns or rule.arn in rule_arns):
                self.dispatcher.fan_out(rule, event, ingestion_time, now)
        return True

    def _test_event_pattern(self, request: Mapping[str, Any]) -> dict[str, Any]:
        pattern = compile_event_pattern(request["EventPattern"])
        event = parse_test_event(request.get("Event"))
        return {"Result": bool(pattern.matches(event))}

    async def start_redrive(
        self, queue: str | None = None, message_ids: Iterable[str] | None = None
    ) -> RedriveRun:
        """Claim dead-lettered messages and redrive them in the background; follow the returned run."""
        # Deliveries that reached a dead-letter queue leave the journal lazily: commit that first, so that a
        # redriven message can never also be resumed from the journal after a crash.
        await self.journal.flush()
        return self.redrives.start(queue, message_ids)

    async def redrive(self, queue: str | None = None, message_ids: Iterable[str] | None = None) -> RedriveRun:
        """Redrive and wait until every claimed message was tried once."""
        return await (await self.start_redrive(queue, message_ids)).wait()

    async def redeliver(self, message: DeadLetterMessage) -> RedriveOutcome:
        """One attempt to send a dead-lettered event through its rule's target (as it is configured now)."""
        if not message.rule_arn and not message.event:
            return RedriveOutcome(
                False,
                "a function sent this message with SQS SendMessage: no rule or invocation to send it through "
                "again; read it with `vcn dlq show` and act on what it says",
            )
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
        now = format_time(datetime.fromtimestamp(self.wall(), UTC))
        rendered = render(target.input, message.event, DeliveryContext(rule.arn, rule.name, now))
        if rendered.body is None:
            return RedriveOutcome(False, f"nothing to deliver: {rendered.dropped_because}")
        result = await self.targets.attempt(rule.arn, target, message.event, rendered.body)
        if result.delivered:
            return RedriveOutcome(True)
        return RedriveOutcome(False, f"{result.error_code}: {result.error_message}")

    async def shutdown(self, grace_seconds: float) -> DrainReport:
        """Stop the schedules, replays and redrives; give pending deliveries the grace period and keep the
        rest in the journal (see `delivery`); then close outbound connections."""
        await self.schedules.stop()
        await self.resources.stop()
        await self.redrives.close()
        report = await self.dispatcher.drain(grace_seconds)
        if report.kept:
            log.warning(
                "%d deliveries still pending stay in the journal %s; they resume when the local EventBridge "
                "starts again with this state folder",
                report.kept,
                journal_path(self.state_dir),
            )
        await self.http.close()
        return report
