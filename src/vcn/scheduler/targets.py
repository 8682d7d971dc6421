"""One attempt at a schedule's target, as EventBridge Scheduler's templated targets make it.

- A Lambda function is invoked asynchronously with the Input as its payload (the JSON it holds, or the text
  itself); without Input the payload is `{}` (UNCONFIRMED: AWS documents no default).
- An event bus gets one PutEvents entry: Source and DetailType from EventBridgeParameters, the Input as
  Detail.
- Any other target (SQS, SNS, Step Functions, universal `aws-sdk` targets) is not emulated: the attempt fails
  with `UnsupportedTarget`, which is counted, logged and dead-lettered like any failure.

The Input may hold Scheduler's context attributes, replaced before each attempt:
`<aws.scheduler.schedule-arn>`, `<aws.scheduler.scheduled-time>`, `<aws.scheduler.execution-id>`,
`<aws.scheduler.attempt-number>`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from vcn import arns
from vcn.invoker import DELIVERED, LambdaInvoker, TargetAttempt, hand_over
from vcn.scheduler.config import ScheduleConfig

PutEvents = Callable[[list[dict[str, Any]]], Awaitable[dict[str, Any]]]
UNSUPPORTED_TARGET = "UnsupportedTarget"


@dataclass(frozen=True)
class Execution:
    """One tick of one schedule, across its attempts."""

    schedule_arn: str
    scheduled_time: str
    execution_id: str

    def render(self, template: str | None, attempt_number: int) -> str:
        text = "{}" if template is None else template
        for name, value in (
            ("schedule-arn", self.schedule_arn),
            ("scheduled-time", self.scheduled_time),
            ("execution-id", self.execution_id),
            ("attempt-number", str(attempt_number)),
        ):
            text = text.replace(f"<aws.scheduler.{name}>", value)
        return text


def is_event_bus(arn: str) -> bool:
    try:
        parsed = arns.Arn.parse(arn)
    except ValueError:
        return False
    return parsed.service == "events" and parsed.resource.startswith("event-bus/")


def supports(arn: str) -> bool:
    """Whether the local Scheduler can invoke this target."""
    return arns.is_lambda_function(arn) or is_event_bus(arn)


class ScheduleTargets:
    def __init__(self, invoker: LambdaInvoker | None, put_events: PutEvents | None) -> None:
        self.invoker = invoker
        self.put_events = put_events

    async def attempt(self, config: ScheduleConfig, body: str) -> TargetAttempt:
        arn = config.target.arn
        if arns.is_lambda_function(arn):
            return await self._invoke(arn, body)
        if is_event_bus(arn):
            return await self._put_event(config, body)
        return TargetAttempt(
            False,
            False,
            UNSUPPORTED_TARGET,
            f"The local EventBridge Scheduler invokes Lambda functions and event buses; {arn} is neither.",
        )

    async def _invoke(self, function: str, body: str) -> TargetAttempt:
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body
        return await hand_over(self.invoker, function, payload)

    async def _put_event(self, config: ScheduleConfig, body: str) -> TargetAttempt:
        parameters = config.target.event_bridge
        if self.put_events is None or parameters is None:
            return TargetAttempt(
                False, False, "ValidationException", "an event bus target needs EventBridgeParameters"
            )
        entry = {
            "EventBusName": config.target.arn,
            "Source": parameters.source,
            "DetailType": parameters.detail_type,
            "Detail": body,
        }
        try:
            reply = await self.put_events([entry])
        except Exception as exc:
            return TargetAttempt(False, True, type(exc).__name__, str(exc))
        [result] = reply.get("Entries") or [{}]
        if "EventId" in result:
            return DELIVERED
        return TargetAttempt(False, False, str(result.get("ErrorCode")), str(result.get("ErrorMessage")))
