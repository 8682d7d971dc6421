"""The local EventBridge Scheduler: schedules fire on their clock and invoke their target directly with their
Input (a Lambda function, or an event bus through PutEvents), retry, dead-letter, and never fire twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import ManualClock
from tests.support.invokers import CallableInvoker
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.service import EventBridgeService
from vcn.scheduler import (
    EventBridgeParameters,
    InvalidSchedule,
    RetryPolicy,
    ScheduleConfig,
    SchedulerService,
    ScheduleTarget,
)
from vcn.scheduler.service import ATTEMPTS, DROPPED, SENT_TO_DLQ, TARGET_ERRORS

START = "2025-03-01T13:00:20+00:00"
WORKER = "arn:aws:lambda:us-east-1:000000000000:function:Worker"
BUS = "arn:aws:events:us-east-1:000000000000:event-bus/orders"
DLQ = "arn:aws:sqs:us-east-1:000000000000:schedule-dlq"
ARN = "arn:aws:scheduler:us-east-1:000000000000:schedule/default/report"
GONE = "arn:aws:lambda:us-east-1:000000000000:function:Gone"
BROKEN = "arn:aws:lambda:us-east-1:000000000000:function:Broken"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:jobs"


def schedule(expression: str = "rate(1 minute)", **changes: Any) -> ScheduleConfig:
    target = changes.pop("target", ScheduleTarget(WORKER, input='{"at": "<aws.scheduler.scheduled-time>"}'))
    return replace(ScheduleConfig(name="report", arn=ARN, expression=expression, target=target), **changes)


class Harness:
    """A scheduler on a manual clock, its Lambda functions recording what they receive."""

    def __init__(
        self, state_dir: Path, clock: ManualClock | None = None, **functions: Callable[[Any], Any]
    ) -> None:
        self.clock = clock or ManualClock(START)
        self.state_dir = state_dir
        self.payloads: list[Any] = []
        self.invoker = CallableInvoker({"Worker": self.payloads.append, **functions})
        self.dead_letters = DeadLetterStore(state_dir)

    def scheduler(self, *configs: ScheduleConfig, put_events: Any = None) -> SchedulerService:
        return SchedulerService(
            configs,
            clock=self.clock,
            state_dir=self.state_dir,
            invoker=self.invoker,
            put_events=put_events,
            dead_letters=self.dead_letters,
            retry_base_seconds=0.001,
            retry_max_backoff_seconds=0.005,
        )

    async def minutes(self, count: int) -> None:
        for _ in range(count):
            self.clock.advance(60)
            for _ in range(20):
                await asyncio.sleep(0)
        await asyncio.sleep(0.05)  # retries back off for milliseconds


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_a_lambda_target_gets_its_input_on_every_tick(tmp_path: Path) -> None:
    harness = Harness(tmp_path)

    async def scenario() -> None:
        scheduler = harness.scheduler(schedule())
        scheduler.start()
        await harness.minutes(3)
        await scheduler.stop(1)
        assert harness.payloads == [
            {"at": "2025-03-01T13:01:20Z"},
            {"at": "2025-03-01T13:02:20Z"},
            {"at": "2025-03-01T13:03:20Z"},
        ]
        assert scheduler.counters[ATTEMPTS] == 3 and scheduler.counters[TARGET_ERRORS] == 0

    run(scenario)


def test_context_attributes_and_a_missing_input(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    text = "<aws.scheduler.schedule-arn> <aws.scheduler.attempt-number> <aws.scheduler.execution-id>"

    async def scenario() -> None:
        scheduler = harness.scheduler(
            schedule(target=ScheduleTarget(WORKER, input=text)),
            schedule(name="bare", arn=f"{ARN}-bare", target=ScheduleTarget(WORKER)),
        )
        scheduler.start()
        await harness.minutes(1)
        await scheduler.stop(1)

    run(scenario)
    [bare] = [p for p in harness.payloads if isinstance(p, dict)]
    [rendered] = [p for p in harness.payloads if isinstance(p, str)]
    assert bare == {}  # no Input: an empty JSON object
    arn, attempt, execution_id = rendered.split(" ")
    assert (arn, attempt) == (ARN, "1") and len(execution_id) == 36


def test_a_one_time_schedule_fires_once_even_across_restarts_and_disabled_ones_never(tmp_path: Path) -> None:
    clock = ManualClock(START)
    once = schedule("at(2025-03-01T13:02:00)")
    off = schedule("rate(1 minute)", name="off", arn=f"{ARN}-off", state="DISABLED")

    async def start_and_run(harness: Harness) -> None:
        scheduler = harness.scheduler(once, off)
        scheduler.start()
        await harness.minutes(4)
        await scheduler.stop(1)

    first = Harness(tmp_path, clock)
    run(lambda: start_and_run(first))
    clock.advance(-5 * 60)  # the clock reads earlier than the one-time schedule again
    second = Harness(tmp_path, clock)
    run(lambda: start_and_run(second))
    assert first.payloads == [{"at": "2025-03-01T13:02:00Z"}]
    assert second.payloads == []


def test_start_and_end_dates_bound_the_ticks_and_the_zone_places_them(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    windowed = schedule(
        "cron(* * * * ? *)",
        start_date=harness.clock.now() + 90,  # 13:01:50
        end_date=harness.clock.now() + 250,  # 13:04:30
    )
    berlin = schedule("cron(3 14 * * ? *)", name="berlin", arn=f"{ARN}-berlin", timezone="Europe/Berlin")

    async def scenario() -> None:
        scheduler = harness.scheduler(windowed, berlin)
        scheduler.start()
        await harness.minutes(6)
        await scheduler.stop(1)

    run(scenario)
    # 14:03 in Berlin is 13:03 UTC in March.
    assert [p["at"] for p in harness.payloads] == [
        "2025-03-01T13:02:00Z",
        "2025-03-01T13:03:00Z",
        "2025-03-01T13:03:00Z",
        "2025-03-01T13:04:00Z",
    ]


def test_an_event_bus_target_gets_one_event_with_the_input_as_detail(tmp_path: Path) -> None:
    received: list[Any] = []

    async def scenario() -> None:
        events = EventBridgeService(
            "000000000000",
            "us-east-1",
            state_dir=tmp_path / "eb",
            invoker=CallableInvoker({"Consumer": received.append}),
        )
        events.start()
        await events.call("CreateEventBus", {"Name": "orders"})
        await events.call(
            "PutRule",
            {"Name": "r", "EventBusName": "orders", "EventPattern": '{"source": ["shop.scheduler"]}'},
        )
        await events.call(
            "PutTargets",
            {
                "Rule": "r",
                "EventBusName": "orders",
                "Targets": [{"Id": "c", "Arn": WORKER.replace("Worker", "Consumer")}],
            },
        )

        async def put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
            return await events.call("PutEvents", {"Entries": entries})

        harness = Harness(tmp_path)
        target = ScheduleTarget(
            BUS,
            input='{"report": "nightly"}',
            event_bridge=EventBridgeParameters("shop.scheduler", "NightlyReport"),
        )
        scheduler = harness.scheduler(schedule(target=target), put_events=put_events)
        scheduler.start()
        await harness.minutes(1)
        await scheduler.stop(1)
        await events.shutdown(1)

    run(scenario)
    [event] = received
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "shop.scheduler",
        "NightlyReport",
        {"report": "nightly"},
    )


def test_retryable_failures_are_retried_then_delivered(tmp_path: Path) -> None:
    failures = [RuntimeError("throttled"), RuntimeError("throttled")]

    class Flaky(CallableInvoker):
        async def invoke_async(self, function: str, payload: Any) -> None:
            if failures:
                raise failures.pop()
            await super().invoke_async(function, payload)

    harness = Harness(tmp_path)
    harness.invoker = Flaky({"Worker": harness.payloads.append})

    async def scenario() -> None:
        scheduler = harness.scheduler(schedule())
        scheduler.start()
        await harness.minutes(1)
        await scheduler.stop(1)
        assert scheduler.counters[ATTEMPTS] == 3 and scheduler.counters[TARGET_ERRORS] == 2

    run(scenario)
    assert harness.payloads == [{"at": "2025-03-01T13:01:20Z"}]
    assert harness.dead_letters.list() == []


@pytest.mark.parametrize(
    ("target", "code", "exhausted"),
    [
        (ScheduleTarget(GONE, dead_letter_arn=DLQ), "ResourceNotFoundException", None),
        (ScheduleTarget(QUEUE, input="{}", dead_letter_arn=DLQ), "UnsupportedTarget", None),
        (ScheduleTarget(BROKEN, retry_policy=RetryPolicy(60, 2), dead_letter_arn=DLQ),
         "LambdaServiceException", "MaximumRetryAttempts"),
    ],
)  # fmt: skip
def test_failed_executions_go_to_the_dead_letter_queue(
    tmp_path: Path, target: ScheduleTarget, code: str, exhausted: str | None
) -> None:
    class Broken(CallableInvoker):
        async def invoke_async(self, function: str, payload: Any) -> None:
            if function == BROKEN:
                raise ConnectionError("the runtime is gone")
            await super().invoke_async(function, payload)

    harness = Harness(tmp_path)
    harness.invoker = Broken({})

    async def scenario() -> None:
        scheduler = harness.scheduler(schedule(target=target))
        scheduler.start()
        await harness.minutes(1)
        await scheduler.stop(1)
        assert scheduler.counters[SENT_TO_DLQ] == 1

    run(scenario)
    [message] = harness.dead_letters.list("schedule-dlq")
    assert message.attributes["ERROR_CODE"] == code
    assert message.attributes["TARGET_ARN"] == target.arn
    assert message.attributes["X-Amz-Scheduler-Schedule-Arn"] == ARN
    assert message.attributes.get("EXHAUSTED_RETRY_CONDITION") == exhausted
    assert message.attributes["RETRY_ATTEMPTS"] == ("2" if exhausted else "0")
    assert json.loads(json.dumps(message.event))["ScheduledTime"] == "2025-03-01T13:01:20Z"


def test_a_failure_without_a_dead_letter_queue_is_counted_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness = Harness(tmp_path)

    async def scenario() -> None:
        scheduler = harness.scheduler(schedule(target=ScheduleTarget(GONE)))
        scheduler.start()
        await harness.minutes(1)
        await scheduler.stop(1)
        assert scheduler.counters[DROPPED] == 1

    run(scenario)
    assert any(
        "schedule default/report" in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (schedule("rate(10 seconds)"), "ScheduleExpression 'rate(10 seconds)' is not valid"),
        (schedule(timezone="Mars/Olympus"), "'Mars/Olympus' is not an IANA time zone"),
        (schedule(flexible_window_mode="FLEXIBLE"), "MaximumWindowInMinutes from 1 to 1440"),
        (schedule(state="PAUSED"), "State must be ENABLED or DISABLED"),
        (schedule(target=ScheduleTarget(BUS)), "needs EventBridgeParameters"),
        (schedule(target=ScheduleTarget(WORKER, retry_policy=RetryPolicy(30, 1))),
         "MaximumEventAgeInSeconds must be 60"),
        (schedule(start_date=2000.0, end_date=1000.0), "EndDate must be after StartDate"),
    ],
)  # fmt: skip
def test_a_schedule_the_scheduler_cannot_run_is_refused_by_name(
    tmp_path: Path, config: ScheduleConfig, message: str
) -> None:
    with pytest.raises(InvalidSchedule) as refused:
        Harness(tmp_path).scheduler(config)
    assert str(refused.value).startswith("schedule default/report: ") and message in str(refused.value)
