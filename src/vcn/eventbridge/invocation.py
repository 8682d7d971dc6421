"""One attempt to hand an event to a rule's target: an asynchronous Lambda invocation, a message in a local
SQS queue, or an API destination request after the destination's rate limit and within its cap on requests in
flight."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from vcn import arns
from vcn.eventbridge import strict_json
from vcn.eventbridge.api_destination import ApiDestinationClient
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.metrics import THROTTLED_RULES, DeliveryMetrics
from vcn.eventbridge.model import ApiDestination, Connection, Rule, Target
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.eventbridge.sqs_target import send_to_queue
from vcn.invoker import LambdaInvoker, TargetAttempt, hand_over
from vcn.rate_limit import TokenBucket


class TargetDirectory(Protocol):
    def api_destination_for(self, arn: str) -> tuple[ApiDestination, Connection] | None:
        """The API destination an ARN names and its connection, or None."""
        ...

    def target(self, rule_arn: str, target_id: str) -> tuple[Rule, Target] | None:
        """The rule an ARN names and one of its targets, if both exist now."""
        ...


class TargetInvoker:
    def __init__(
        self,
        settings: EventBridgeSettings,
        metrics: DeliveryMetrics,
        http: ApiDestinationClient,
        directory: TargetDirectory,
        invoker: LambdaInvoker | None,
        queues: DeadLetterStore,
    ) -> None:
        self.settings = settings
        self.queues = queues  # the local SQS: queue targets' messages and dead letters
        self.metrics = metrics
        self.http = http
        self.directory = directory
        self.invoker = invoker
        self._buckets: dict[str, TokenBucket] = {}
        self._in_flight: dict[str, asyncio.Semaphore] = {}

    async def attempt(
        self, rule_arn: str, target: Target, event: Mapping[str, Any], body: str
    ) -> TargetAttempt:
        """One try at the target (waiting for the destination's rate limit first)."""
        if arns.is_lambda_function(target.arn):
            return await self._invoke_lambda(target.arn, body)
        if arns.is_sqs_queue(target.arn):
            return send_to_queue(self.queues, rule_arn, target, event, body)
        resolved = self.directory.api_destination_for(target.arn)
        if resolved is None:
            kind = "API destination" if arns.resource_name(target.arn, "api-destination") else "target type"
            return TargetAttempt(
                False,
                False,
                "ResourceNotFoundException",
                f"{kind} {target.arn} is not available in the local EventBridge "
                "(supported: Lambda functions, SQS queues and API destinations).",
            )
        destination, connection = resolved
        if await self._bucket(destination).acquire():
            self.metrics.add(rule_arn, target.id, THROTTLED_RULES)
        slots = self._in_flight.get(destination.arn)
        if slots is None:
            slots = self._in_flight[destination.arn] = asyncio.Semaphore(
                self.settings.max_connections_per_destination
            )
        async with slots:
            return await self.http.invoke(destination, connection, target.http_parameters, event, body)

    def _bucket(self, destination: ApiDestination) -> TokenBucket:
        bucket = self._buckets.get(destination.arn)
        if bucket is None or bucket.rate != destination.rate_limit_per_second:
            bucket = self._buckets[destination.arn] = TokenBucket(destination.rate_limit_per_second)
        return bucket

    async def _invoke_lambda(self, function_arn: str, body: str) -> TargetAttempt:
        try:
            payload: Any = strict_json.parse(body)
        except strict_json.JsonRefused:
            payload = body
        return await hand_over(self.invoker, function_arn, payload)
