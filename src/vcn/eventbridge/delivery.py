"""Asynchronous delivery of matched events to targets: input rendering, per-destination rate limits,
retries per RetryPolicy, dead-lettering, counters, one log line per failed delivery, and a shutdown that
loses nothing.

DLQ choices (UNCONFIRMED in AWS): the body is the original event (setting `dlq_body`);
EXHAUSTED_RETRY_CONDITION is set only when a retry limit ended the delivery; ERROR_CODE `LocalCloudShutdown`
marks deliveries cut short by a shutdown, which go to the target's DLQ or, without one, to the
`shutdown_queue_name` queue.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vcn import arns
from vcn.eventbridge.api_destination import ApiDestinationClient, AttemptResult
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.input_transformer import DeliveryContext, render
from vcn.eventbridge.metrics import (
    FAILED_INVOCATIONS,
    FAILED_TO_DLQ,
    INVOCATIONS,
    MATCHED_EVENTS,
    RETRY_ATTEMPTS,
    SENT_TO_DLQ,
    THROTTLED_RULES,
    DeliveryMetrics,
)
from vcn.eventbridge.model import ApiDestination, Connection, Rule, Target
from vcn.eventbridge.retry import EXHAUSTED_AGE, EXHAUSTED_ATTEMPTS, backoff_seconds
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.eventbridge.sqs_target import send_to_queue
from vcn.invoker import FunctionNotFound, LambdaInvoker
from vcn.rate_limit import TokenBucket

log = logging.getLogger("vcn.eventbridge")

SHUTDOWN_ERROR = "LocalCloudShutdown"


class DestinationDirectory(Protocol):
    def api_destination_for(self, arn: str) -> tuple[ApiDestination, Connection] | None:
        """The API destination an ARN names and its connection, or None."""
        ...


@dataclass
class Delivery:
    """One event on its way to one target of one rule."""

    rule_arn: str
    rule_name: str
    target: Target
    event: Mapping[str, Any]
    body: str
    ingested_at: float  # time.monotonic() at PutEvents
    attempts: int = 0


class Dispatcher:
    def __init__(
        self,
        settings: EventBridgeSettings,
        metrics: DeliveryMetrics,
        dead_letters: DeadLetterStore,
        http: ApiDestinationClient,
        directory: DestinationDirectory,
        invoker: LambdaInvoker | None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.dead_letters = dead_letters
        self.http = http
        self.directory = directory
        self.invoker = invoker
        self._pending: dict[asyncio.Task[None], Delivery] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        self._closed_after: float | None = None  # the grace period, once a shutdown has begun

    @property
    def pending(self) -> int:
        return len(self._pending)

    def fan_out(self, rule: Rule, event: Mapping[str, Any], ingestion_time: str, ingested_at: float) -> None:
        """Start delivering an event to every target of a rule it matched."""
        context = DeliveryContext(rule.arn, rule.name, ingestion_time)
        self.metrics.rule_matched(rule.arn)
        for target in list(rule.targets.values()):
            self.metrics.add(rule.arn, target.id, MATCHED_EVENTS)
            rendered = render(target.input, event, context)
            if rendered.body is None:
                self.metrics.add(rule.arn, target.id, INVOCATIONS)
                self.metrics.add(rule.arn, target.id, FAILED_INVOCATIONS)
                log.warning(
                    "nothing delivered: rule=%s target=%s event=%s because %s (AWS drops this silently)",
                    rule.arn,
                    target.id,
                    event.get("id"),
                    rendered.dropped_because,
                )
                continue
            self.submit(Delivery(rule.arn, rule.name, target, event, rendered.body, ingested_at))

    def submit(self, delivery: Delivery) -> None:
        if self._closed_after is not None:
            # A request that slipped in during shutdown: keep the event rather than start what cannot finish.
            self._shut_out(delivery, self._closed_after)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self._pending[task] = delivery
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._pending.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task crashed", exc_info=task.exception())

    async def _deliver(self, delivery: Delivery) -> None:
        policy = delivery.target.retry_policy
        while True:
            if delivery.attempts:
                self.metrics.add(delivery.rule_arn, delivery.target.id, RETRY_ATTEMPTS)
            else:
                waited = time.monotonic() - delivery.ingested_at
                self.metrics.invocation_started(delivery.rule_arn, waited * 1000)
            result = await self.attempt(delivery)
            delivery.attempts += 1
            if result.delivered:
                self.metrics.add(delivery.rule_arn, delivery.target.id, INVOCATIONS)
                return
            retries = delivery.attempts - 1
            if not result.retryable:
                self._fail(delivery, result.error_code, result.error_message, None)
                return
            if result.retry_after is not None and result.retry_after < 0:
                self._fail(
                    delivery, result.error_code, result.error_message + " (negative Retry-After)", None
                )
                return
            if retries >= policy.maximum_retry_attempts:
                self._fail(delivery, result.error_code, result.error_message, EXHAUSTED_ATTEMPTS)
                return
            delay = backoff_seconds(
                retries, self.settings.retry_base_seconds, self.settings.retry_max_backoff_seconds
            )
            if result.retry_after is not None:
                delay = max(delay, result.retry_after)
            if time.monotonic() - delivery.ingested_at + delay > policy.maximum_event_age_seconds:
                self._fail(delivery, result.error_code, result.error_message, EXHAUSTED_AGE)
                return
            log.debug(
                "retrying in %.3fs: rule=%s target=%s event=%s after %s",
                delay,
                delivery.rule_arn,
                delivery.target.id,
                delivery.event.get("id"),
                result.error_code,
            )
            await asyncio.sleep(delay)

    async def attempt(self, delivery: Delivery) -> AttemptResult:
        """One try at the target (waiting for the destination's rate limit first)."""
        target = delivery.target
        if arns.is_lambda_function(target.arn):
            return await self._invoke_lambda(target.arn, delivery.body)
        if arns.is_sqs_queue(target.arn):
            return send_to_queue(self.dead_letters, delivery.rule_arn, target, delivery.event, delivery.body)
        resolved = self.directory.api_destination_for(target.arn)
        if resolved is None:
            kind = "API destination" if arns.resource_name(target.arn, "api-destination") else "target type"
            return AttemptResult(
                False,
                False,
                "ResourceNotFoundException",
                f"{kind} {target.arn} is not available in the local EventBridge "
                "(supported: Lambda functions, SQS queues and API destinations).",
            )
        destination, connection = resolved
        if await self._bucket(destination).acquire():
            self.metrics.add(delivery.rule_arn, target.id, THROTTLED_RULES)
        slots = self._in_flight.get(destination.arn)
        if slots is None:
            slots = self._in_flight[destination.arn] = asyncio.Semaphore(
                self.settings.max_connections_per_destination
            )
        async with slots:
            return await self.http.invoke(
                destination, connection, target.http_parameters, delivery.event, delivery.body
            )

    def _bucket(self, destination: ApiDestination) -> TokenBucket:
        bucket = self._buckets.get(destination.arn)
        if bucket is None or bucket.rate != destination.rate_limit_per_second:
            bucket = self._buckets[destination.arn] = TokenBucket(destination.rate_limit_per_second)
        return bucket

    async def _invoke_lambda(self, function_arn: str, body: str) -> AttemptResult:
        if self.invoker is None:
            return AttemptResult(
                False,
                False,
                "ResourceNotFoundException",
                f"No Lambda runtime is attached; cannot invoke {function_arn}.",
            )
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body
        try:
            await self.invoker.invoke_async(function_arn, payload)
        except FunctionNotFound:
            return AttemptResult(
                False, False, "ResourceNotFoundException", f"Lambda function not found: {function_arn}"
            )
        except Exception as exc:
            return AttemptResult(False, True, "LambdaServiceException", f"{type(exc).__name__}: {exc}")
        return AttemptResult(True)

    def _fail(self, delivery: Delivery, code: str, message: str, exhausted: str | None) -> None:
        target = delivery.target
        self.metrics.add(delivery.rule_arn, target.id, INVOCATIONS)
        self.metrics.add(delivery.rule_arn, target.id, FAILED_INVOCATIONS)
        queue = self._dead_letter(delivery, target.dead_letter_queue, code, message, exhausted)
        log.warning(
            "delivery failed: rule=%s target=%s event=%s error=%s message=%r retries=%d%s -> %s",
            delivery.rule_arn,
            target.id,
            delivery.event.get("id"),
            code,
            message,
            max(0, delivery.attempts - 1),
            f" exhausted={exhausted}" if exhausted else "",
            f"dead-letter queue {queue}" if queue else "dropped (the target has no DeadLetterConfig)",
        )

    def _dead_letter(
        self, delivery: Delivery, queue: str | None, code: str, message: str, exhausted: str | None
    ) -> str | None:
        if queue is None:
            return None
        attributes = {
            "RULE_ARN": delivery.rule_arn,
            "TARGET_ARN": delivery.target.arn,
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message,
            "RETRY_ATTEMPTS": str(max(0, delivery.attempts - 1)),
        }
        if exhausted is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        original = json.dumps(delivery.event, separators=(",", ":"), ensure_ascii=False)
        try:
            self.dead_letters.send(
                queue,
                body=original if self.settings.dlq_body == "original" else delivery.body,
                attributes=attributes,
                rule_arn=delivery.rule_arn,
                target_id=delivery.target.id,
                event=delivery.event,
            )
        except OSError as exc:
            self.metrics.add(delivery.rule_arn, delivery.target.id, FAILED_TO_DLQ)
            log.error(
                "EVENT LOST: rule=%s target=%s event=%s could not be written to dead-letter queue %s: %s",
                delivery.rule_arn,
                delivery.target.id,
                delivery.event.get("id"),
                queue,
                exc,
            )
            return f"{queue} (NOT written: {exc})"
        self.metrics.add(delivery.rule_arn, delivery.target.id, SENT_TO_DLQ)
        return queue

    async def drain(self, grace_seconds: float) -> int:
        """Let pending deliveries finish within the grace period; dead-letter the rest. Returns how many."""
        self._closed_after = grace_seconds
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=max(0.0, grace_seconds))
        leftovers = [(task, delivery) for task, delivery in self._pending.items() if not task.done()]
        for task, _ in leftovers:
            task.cancel()
        if leftovers:
            await asyncio.gather(*(task for task, _ in leftovers), return_exceptions=True)
        for _, delivery in leftovers:
            self._shut_out(delivery, grace_seconds)
        return len(leftovers)

    def _shut_out(self, delivery: Delivery, grace_seconds: float) -> None:
        """Dead-letter a delivery the shutdown did not let finish (ERROR_CODE LocalCloudShutdown)."""
        message = (
            f"The local EventBridge shut down before this event reached the target (grace period "
            f"{grace_seconds:g} s, {delivery.attempts} attempt(s) made); "
            "redrive it with `vcn dlq redrive` once the target is reachable."
        )
        queue = delivery.target.dead_letter_queue or self.settings.shutdown_queue_name
        self.metrics.add(delivery.rule_arn, delivery.target.id, INVOCATIONS)
        self.metrics.add(delivery.rule_arn, delivery.target.id, FAILED_INVOCATIONS)
        self._dead_letter(delivery, queue, SHUTDOWN_ERROR, message, None)
        log.warning(
            "delivery cut short by shutdown: rule=%s target=%s event=%s -> dead-letter queue %s",
            delivery.rule_arn,
            delivery.target.id,
            delivery.event.get("id"),
            queue,
        )
