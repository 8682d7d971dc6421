"""Asynchronous delivery of matched events to targets: the journal first, then retries per RetryPolicy,
dead-lettering, counters, one log line per failed delivery, resumption after a restart, and a shutdown that
loses nothing.

Every delivery is journaled (`journal`) before PutEvents answers, and leaves the journal only when it is
over: delivered, dropped as AWS drops it (a target without a dead-letter queue), or written to its
dead-letter queue. After a kill -9 the next start resumes each delivery where it was (`resume`): same
attempt count, next attempt at the planned time, age counted from the original PutEvents time, so
MaximumEventAgeInSeconds still ends it in the dead-letter queue. A resumed delivery goes through its rule's
target as configured at the restart (as a redrive does); when that rule or target no longer exists it goes
to the dead-letter queue recorded with it (or `shutdown_queue_name`) with ERROR_CODE
ResourceNotFoundException, to be redriven once the rule exists again.

Shutdown: deliveries get the grace period to finish; those still pending stay in the journal and resume on
the next start with the same state folder instead of being dead-lettered. That is what EventBridge does
(it keeps retrying for up to 24 hours), and it needs no redrive. Without a journal (only the bench's
baseline) they are dead-lettered with ERROR_CODE LocalCloudShutdown, as before the journal existed.

A delivery that fails unexpectedly (a fault of the local EventBridge, not of the target) is dead-lettered
with ERROR_CODE LocalDeliveryError to the target's queue or, without one, `shutdown_queue_name`, and logged
with its traceback: it never vanishes.

DLQ choices (UNCONFIRMED in AWS): the body is the original event (setting `dlq_body`);
EXHAUSTED_RETRY_CONDITION is set only when a retry limit ended the delivery.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vcn.eventbridge.dead_lettering import DeadLetterWriter, FailedDelivery, Failure
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.input_transformer import DeliveryContext, render
from vcn.eventbridge.invocation import TargetInvoker
from vcn.eventbridge.journal import Journal, JournalError, PendingDelivery
from vcn.eventbridge.metrics import (
    FAILED_INVOCATIONS,
    INVOCATIONS,
    MATCHED_EVENTS,
    RETRY_ATTEMPTS,
    DeliveryMetrics,
)
from vcn.eventbridge.model import Rule, Target
from vcn.eventbridge.retry import EXHAUSTED_AGE, EXHAUSTED_ATTEMPTS, backoff_seconds
from vcn.eventbridge.settings import EventBridgeSettings

log = logging.getLogger("vcn.eventbridge")

SHUTDOWN_ERROR = "LocalCloudShutdown"
INTERNAL_ERROR = "LocalDeliveryError"
GONE_ERROR = "ResourceNotFoundException"


@dataclass
class Delivery:
    """One event on its way to one target of one rule."""

    delivery_id: str  # the journal row's id, and the dead-letter message's id
    rule_arn: str
    rule_name: str
    target: Target
    event: Mapping[str, Any]
    body: str
    ingestion_time: str
    accepted_at: float  # epoch seconds of the PutEvents call: ages count from here, across restarts
    attempts: int = 0
    last_failure: Failure | None = None

    @property
    def target_id(self) -> str:
        return self.target.id

    @property
    def event_id(self) -> Any:
        return self.event.get("id")

    def journal_row(self) -> PendingDelivery:
        return PendingDelivery(
            delivery_id=self.delivery_id,
            rule_arn=self.rule_arn,
            target_id=self.target.id,
            target_arn=self.target.arn,
            dead_letter_queue=self.target.dead_letter_queue,
            event=self.event,
            ingestion_time=self.ingestion_time,
            accepted_at=self.accepted_at,
            attempts=self.attempts,
            next_attempt_at=self.accepted_at,
        )

    def failed(self) -> FailedDelivery:
        return FailedDelivery(
            self.delivery_id,
            self.rule_arn,
            self.target.id,
            self.target.arn,
            self.event,
            self.body,
            self.attempts,
        )


@dataclass(frozen=True)
class Undeliverable:
    """A match whose target input renders to nothing (AWS drops it silently; we count and log it)."""

    rule_arn: str
    target_id: str
    event_id: Any
    reason: str


Routed = Delivery | Undeliverable


@dataclass(frozen=True)
class DrainReport:
    kept: int  # still pending after the grace period: they stay in the journal for the next start
    dead_lettered: int  # cut short without a journal: written to dead-letter queues


def _failed_row(row: PendingDelivery) -> FailedDelivery:
    return FailedDelivery(
        row.delivery_id, row.rule_arn, row.target_id, row.target_arn, row.event, None, row.attempts
    )


class Dispatcher:
    def __init__(
        self,
        settings: EventBridgeSettings,
        metrics: DeliveryMetrics,
        dead_letters: DeadLetterStore,
        journal: Journal,
        invoker: TargetInvoker,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.dead_letters = dead_letters
        self.journal = journal
        self.invoker = invoker
        self.clock = clock
        self.writer = DeadLetterWriter(dead_letters, metrics, settings)
        self._tasks: dict[asyncio.Task[None], Delivery | None] = {}
        self._accepting: set[asyncio.Task[None]] = set()  # fan_out's journal commits still in progress
        self._closing_grace: float | None = None  # the grace period, once a shutdown has begun
        self._resumed = False
        self._accepted = False  # whether this run journaled deliveries of its own yet

    @property
    def pending(self) -> int:
        return len(self._tasks)

    # --- accepting events -----------------------------------------------------------------------------------

    def route(
        self, rule: Rule, event: Mapping[str, Any], ingestion_time: str, accepted_at: float
    ) -> list[Routed]:
        """What delivering an event to every target of a rule it matched takes (no side effect yet)."""
        context = DeliveryContext(rule.arn, rule.name, ingestion_time)
        routed: list[Routed] = []
        for target in list(rule.targets.values()):
            rendered = render(target.input, event, context)
            if rendered.body is None:
                routed.append(
                    Undeliverable(
                        rule.arn,
                        target.id,
                        event.get("id"),
                        rendered.dropped_because or "the input renders to nothing",
                    )
                )
            else:
                routed.append(
                    Delivery(
                        str(uuid.uuid4()),
                        rule.arn,
                        rule.name,
                        target,
                        event,
                        rendered.body,
                        ingestion_time,
                        accepted_at,
                    )
                )
        return routed

    async def accept(self, routed: Sequence[Routed]) -> None:
        """Journal the deliveries (returns once they are durable, raises JournalError if they cannot be),
        then start them."""
        deliveries = [item for item in routed if isinstance(item, Delivery)]
        if deliveries:
            self._accepted = True
            await self.journal.record([delivery.journal_row() for delivery in deliveries])
        matched: set[tuple[str, object]] = set()
        for item in routed:
            self.metrics.add(item.rule_arn, item.target_id, MATCHED_EVENTS)
            if (item.rule_arn, item.event_id) not in matched:  # once per rule and event: TriggeredRules
                matched.add((item.rule_arn, item.event_id))
                self.metrics.rule_matched(item.rule_arn)
            if isinstance(item, Undeliverable):
                self._undeliverable(item)
            elif self._closing_grace is None:
                self._start(self._run(item), item)
            elif not self.journal.durable:
                # A request that slipped in during shutdown: keep the event rather than start what cannot end.
                self._shut_out(item, self._closing_grace)
            # else: journaled during shutdown; it resumes on the next start

    def fan_out(self, rule: Rule, event: Mapping[str, Any], ingestion_time: str, accepted_at: float) -> None:
        """Deliver an event no caller waits for (a scheduled or a replayed one): journaled, then started, in
        the background."""
        routed = self.route(rule, event, ingestion_time, accepted_at)
        task = asyncio.get_running_loop().create_task(self._accept_unattended(routed))
        self._accepting.add(task)
        task.add_done_callback(self._accepting.discard)

    async def _accept_unattended(self, routed: Sequence[Routed]) -> None:
        try:
            await self.accept(routed)
        except JournalError as exc:
            for item in routed:
                log.error(
                    "EVENT NOT DELIVERED: rule=%s target=%s event=%s could not be journaled: %s",
                    item.rule_arn,
                    item.target_id,
                    item.event_id,
                    exc,
                )

    def resume(self) -> int:
        """Start the deliveries an earlier run left in the journal: once, after the rules exist again and
        before PutEvents is served (the journal's rows would otherwise include this run's own)."""
        if self._resumed:
            return 0
        if self._accepted:
            raise RuntimeError("resume() must run before the first PutEvents is accepted")
        self._resumed = True
        resumed = 0
        for row in self.journal.pending():
            if self.dead_letters.contains(row.delivery_id):
                # It reached its dead-letter queue just before the process died.
                self.journal.forget(row.delivery_id)
                continue
            self._start(self._run(row), None)
            resumed += 1
        return resumed

    def _start(self, work: Coroutine[Any, Any, None], delivery: Delivery | None) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks[task] = delivery
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task crashed", exc_info=task.exception())

    # --- one delivery, to its end ---------------------------------------------------------------------------

    async def _run(self, job: Delivery | PendingDelivery) -> None:
        delivery = job if isinstance(job, Delivery) else None
        try:
            if delivery is None:
                assert isinstance(job, PendingDelivery)
                delivery = await self._resumed_delivery(job)
                if delivery is None:
                    return
            await self._retry(delivery)
        except asyncio.CancelledError:
            raise  # a shutdown: the journal keeps the delivery as it was
        except Exception as exc:
            self._crashed(job, delivery, exc)

    async def _resumed_delivery(self, row: PendingDelivery) -> Delivery | None:
        """The delivery a journal row describes, once its next attempt is due; None if it ended here."""
        delay = row.next_attempt_at - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)
        found = self.invoker.directory.target(row.rule_arn, row.target_id)
        if found is None:
            message = (
                f"Rule {row.rule_arn} or its target {row.target_id} did not exist when the local EventBridge "
                "restarted; recreate it (e.g. start the local cloud with the same template) and redrive "
                "this message with `vcn dlq redrive`."
            )
            queue = row.dead_letter_queue or self.settings.shutdown_queue_name
            self._end(_failed_row(row), queue, Failure(GONE_ERROR, message))
            return None
        rule, target = found
        rendered = render(target.input, row.event, DeliveryContext(rule.arn, rule.name, row.ingestion_time))
        if rendered.body is None:
            self._undeliverable(
                Undeliverable(rule.arn, target.id, row.event.get("id"), rendered.dropped_because or "")
            )
            self.journal.forget(row.delivery_id)
            return None
        last = Failure(row.last_error_code, row.last_error_message or "") if row.last_error_code else None
        return Delivery(
            row.delivery_id,
            rule.arn,
            rule.name,
            target,
            row.event,
            rendered.body,
            row.ingestion_time,
            row.accepted_at,
            row.attempts,
            last,
        )

    async def _retry(self, delivery: Delivery) -> None:
        policy = delivery.target.retry_policy
        while True:
            if delivery.last_failure is not None:
                # A resumed delivery may have reached a limit while the process was down.
                ended = self._limit_reached(delivery)
                if ended is not None:
                    self._fail(delivery, dataclasses.replace(delivery.last_failure, exhausted=ended))
                    return
            if delivery.attempts:
                self.metrics.add(delivery.rule_arn, delivery.target.id, RETRY_ATTEMPTS)
            else:
                waited = self.clock() - delivery.accepted_at
                self.metrics.invocation_started(delivery.rule_arn, waited * 1000)
            result = await self.invoker.attempt(
                delivery.rule_arn, delivery.target, delivery.event, delivery.body
            )
            delivery.attempts += 1
            if result.delivered:
                self.metrics.add(delivery.rule_arn, delivery.target.id, INVOCATIONS)
                self.journal.forget(delivery.delivery_id)
                return
            failure = Failure(result.error_code, result.error_message)
            delivery.last_failure = failure
            if not result.retryable:
                self._fail(delivery, failure)
                return
            if result.retry_after is not None and result.retry_after < 0:
                self._fail(delivery, Failure(failure.code, failure.message + " (negative Retry-After)"))
                return
            retries = delivery.attempts - 1
            if retries >= policy.maximum_retry_attempts:
                self._fail(delivery, dataclasses.replace(failure, exhausted=EXHAUSTED_ATTEMPTS))
                return
            delay = backoff_seconds(
                retries, self.settings.retry_base_seconds, self.settings.retry_max_backoff_seconds
            )
            if result.retry_after is not None:
                delay = max(delay, result.retry_after)
            if self.clock() - delivery.accepted_at + delay > policy.maximum_event_age_seconds:
                self._fail(delivery, dataclasses.replace(failure, exhausted=EXHAUSTED_AGE))
                return
            self.journal.reschedule(
                delivery.delivery_id, delivery.attempts, self.clock() + delay, failure.code, failure.message
            )
            log.debug(
                "retrying in %.3fs: rule=%s target=%s event=%s after %s",
                delay,
                delivery.rule_arn,
                delivery.target.id,
                delivery.event.get("id"),
                failure.code,
            )
            await asyncio.sleep(delay)

    def _limit_reached(self, delivery: Delivery) -> str | None:
        policy = delivery.target.retry_policy
        if delivery.attempts - 1 >= policy.maximum_retry_attempts:
            return EXHAUSTED_ATTEMPTS
        if self.clock() - delivery.accepted_at > policy.maximum_event_age_seconds:
            return EXHAUSTED_AGE
        return None

    # --- endings other than delivered -----------------------------------------------------------------------

    def _count_failed_invocation(self, rule_arn: str, target_id: str) -> None:
        """Every ending but delivered is an invocation that failed, as AWS/Events counts them."""
        self.metrics.add(rule_arn, target_id, INVOCATIONS)
        self.metrics.add(rule_arn, target_id, FAILED_INVOCATIONS)

    def _fail(self, delivery: Delivery, failure: Failure) -> None:
        """The target refused or retries ran out: the target's dead-letter queue, or dropped as AWS does."""
        queue = delivery.target.dead_letter_queue
        self._count_failed_invocation(delivery.rule_arn, delivery.target.id)
        log.warning(
            "delivery failed: rule=%s target=%s event=%s error=%s message=%r retries=%d%s -> %s",
            delivery.rule_arn,
            delivery.target.id,
            delivery.event.get("id"),
            failure.code,
            failure.message,
            max(0, delivery.attempts - 1),
            f" exhausted={failure.exhausted}" if failure.exhausted else "",
            f"dead-letter queue {queue}" if queue else "dropped (the target has no DeadLetterConfig)",
        )
        if queue is None or self.writer.send(queue, delivery.failed(), failure):
            self.journal.forget(delivery.delivery_id)

    def _end(self, failed: FailedDelivery, queue: str, failure: Failure) -> None:
        """A delivery that cannot go on for a reason of the local cloud's: always to a dead-letter queue."""
        self._count_failed_invocation(failed.rule_arn, failed.target_id)
        log.warning(
            "delivery ended: rule=%s target=%s event=%s error=%s -> dead-letter queue %s: %s",
            failed.rule_arn,
            failed.target_id,
            failed.event.get("id"),
            failure.code,
            queue,
            failure.message,
        )
        if self.writer.send(queue, failed, failure):
            self.journal.forget(failed.delivery_id)

    def _crashed(self, job: Delivery | PendingDelivery, delivery: Delivery | None, error: Exception) -> None:
        log.error(
            "delivery %s failed inside the local EventBridge; it goes to a dead-letter queue",
            job.delivery_id,
            exc_info=error,
        )
        if delivery is not None:
            failed, queue = delivery.failed(), delivery.target.dead_letter_queue
        else:
            assert isinstance(job, PendingDelivery)
            failed, queue = _failed_row(job), job.dead_letter_queue
        message = (
            f"The local EventBridge failed while delivering this event ({type(error).__name__}: {error}); "
            "see its log, then redrive it with `vcn dlq redrive`."
        )
        self._end(failed, queue or self.settings.shutdown_queue_name, Failure(INTERNAL_ERROR, message))

    def _undeliverable(self, item: Undeliverable) -> None:
        self._count_failed_invocation(item.rule_arn, item.target_id)
        log.warning(
            "nothing delivered: rule=%s target=%s event=%s because %s (AWS drops this silently)",
            item.rule_arn,
            item.target_id,
            item.event_id,
            item.reason,
        )

    # --- shutdown -------------------------------------------------------------------------------------------

    async def drain(self, grace_seconds: float) -> DrainReport:
        """Let pending deliveries finish within the grace period; the rest stay in the journal (or, without
        one, go to dead-letter queues)."""
        self._closing_grace = grace_seconds
        if self._accepting:
            await asyncio.gather(*self._accepting, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=max(0.0, grace_seconds))
        leftovers = [(task, delivery) for task, delivery in self._tasks.items() if not task.done()]
        for task, _ in leftovers:
            task.cancel()
        if leftovers:
            await asyncio.gather(*(task for task, _ in leftovers), return_exceptions=True)
        dead_lettered = 0
        if not self.journal.durable:
            for _, delivery in leftovers:
                if delivery is not None:
                    self._shut_out(delivery, grace_seconds)
                    dead_lettered += 1
        await self.journal.close()
        return DrainReport(kept=len(leftovers) - dead_lettered, dead_lettered=dead_lettered)

    def _shut_out(self, delivery: Delivery, grace_seconds: float) -> None:
        """Without a journal: dead-letter a delivery the shutdown did not let finish."""
        message = (
            f"The local EventBridge shut down before this event reached the target (grace period "
            f"{grace_seconds:g} s, {delivery.attempts} attempt(s) made); "
            "redrive it with `vcn dlq redrive` once the target is reachable."
        )
        queue = delivery.target.dead_letter_queue or self.settings.shutdown_queue_name
        self._end(delivery.failed(), queue, Failure(SHUTDOWN_ERROR, message))
