"""The local EventBridge Scheduler: runs the template's schedules on a clock and invokes their targets.

Each tick of an enabled schedule is one execution: attempts at the target (`targets`) until one succeeds, a
failure is not retryable, or the RetryPolicy runs out (attempts or event age, with exponential backoff and
full jitter like EventBridge's); then the Input goes to the target's DeadLetterConfig queue with the error,
or, without one, is dropped with a warning. Every attempt and failure is counted under AWS/Scheduler's metric
names (`counters`). The timetable's memory (`scheduler-ticks.json` in the state folder) keeps a schedule from
firing a tick twice across restarts, and a one-time `at(...)` schedule from firing again.

DLQ message attributes: ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS, TARGET_ARN, EXHAUSTED_RETRY_CONDITION
(when a limit ended it) as EventBridge writes them, plus X-Amz-Scheduler-Schedule-Arn and
X-Amz-Scheduler-Attempt (UNCONFIRMED: what AWS's Scheduler adds beside them).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from vcn.arns import sqs_queue_name
from vcn.invoker import LambdaInvoker, TargetAttempt
from vcn.scheduler.config import ScheduleConfig
from vcn.scheduler.schedules import timetable_schedule
from vcn.scheduler.targets import Execution, PutEvents, ScheduleTargets, supports
from vcn.timetable import Clock, TickMemory, Timetable

log = logging.getLogger("vcn.scheduler")

TICKS_FILE = "scheduler-ticks.json"
SHUTDOWN_ERROR = "LocalCloudShutdown"

# AWS/Scheduler metric names.
ATTEMPTS = "InvocationAttemptCount"
TARGET_ERRORS = "TargetErrorCount"
DROPPED = "InvocationDroppedCount"
SENT_TO_DLQ = "InvocationsSentToDeadLetterCount"


class DeadLetterQueues(Protocol):
    """Where failed executions go: the local cloud's durable queues (the scheduler does not import the
    EventBridge package that keeps them)."""

    def send(
        self,
        queue: str,
        *,
        body: str,
        attributes: Mapping[str, str],
        rule_arn: str,
        target_id: str,
        event: Mapping[str, Any],
    ) -> Any: ...


class SchedulerService:
    """`start()` in a running event loop; `await stop(grace_seconds)` at the end."""

    def __init__(
        self,
        schedules: Sequence[ScheduleConfig],
        *,
        clock: Clock,
        state_dir: Path | None,
        invoker: LambdaInvoker | None,
        put_events: PutEvents | None,
        dead_letters: DeadLetterQueues | None,
        retry_base_seconds: float = 1.0,
        retry_max_backoff_seconds: float = 60.0,
    ) -> None:
        # Every schedule is checked before any runs: a mistake stops the start with a message naming it.
        self.schedules = [(config, timetable_schedule(config)) for config in schedules]
        for config in schedules:
            if not supports(config.target.arn):
                log.warning(
                    "schedule %s/%s: its target %s is not emulated (Lambda functions and event buses are); "
                    "each tick will fail and go to its dead-letter queue",
                    config.group,
                    config.name,
                    config.target.arn,
                )
        memory = TickMemory(state_dir / TICKS_FILE if state_dir is not None else None)
        self.timetable = Timetable(clock, memory, name="schedule")
        self.targets = ScheduleTargets(invoker, put_events)
        self.dead_letters = dead_letters
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_backoff_seconds = retry_max_backoff_seconds
        self.counters: Counter[str] = Counter()
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        for config, schedule in self.schedules:
            if config.enabled:
                self.timetable.plan(config.arn, schedule, partial(self._fire, config))
        self.timetable.memory.keep_only(config.arn for config, _ in self.schedules)
        self.timetable.start()
        if self.schedules:
            log.info(
                "EventBridge Scheduler: %d schedules (%d enabled)",
                len(self.schedules),
                len(self.timetable.planned()),
            )

    async def stop(self, grace_seconds: float) -> None:
        """Stop firing; executions still retrying get `grace_seconds`, then go to their dead-letter queue."""
        await self.timetable.stop()
        if self._running:
            await asyncio.wait(list(self._running), timeout=max(0.0, grace_seconds))
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def _fire(self, config: ScheduleConfig, tick: float) -> None:
        execution = Execution(
            config.arn, datetime.fromtimestamp(tick, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), str(uuid.uuid4())
        )
        task = asyncio.get_running_loop().create_task(self._execute(config, execution))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _execute(self, config: ScheduleConfig, execution: Execution) -> None:
        policy = config.target.retry_policy
        started = time.monotonic()
        number = 1
        try:
            while True:
                body = execution.render(config.target.input, number)
                self.counters[ATTEMPTS] += 1
                result = await self.targets.attempt(config, body)
                if result.delivered:
                    return
                self.counters[TARGET_ERRORS] += 1
                retries = number - 1
                if not result.retryable:
                    self._fail(config, execution, body, result, retries, None)
                    return
                if retries >= policy.maximum_retry_attempts:
                    self._fail(config, execution, body, result, retries, "MaximumRetryAttempts")
                    return
                delay = random.uniform(
                    0, min(self.retry_max_backoff_seconds, self.retry_base_seconds * 2**retries)
                )
                if time.monotonic() - started + delay > policy.maximum_event_age_seconds:
                    self._fail(config, execution, body, result, retries, "MaximumEventAgeInSeconds")
                    return
                await asyncio.sleep(delay)
                number += 1
        except asyncio.CancelledError:
            stopped = TargetAttempt(
                False, False, SHUTDOWN_ERROR, "The local cloud stopped while this execution was retrying."
            )
            self._fail(
                config, execution, execution.render(config.target.input, number), stopped, number - 1, None
            )
            raise

    def _fail(
        self,
        config: ScheduleConfig,
        execution: Execution,
        body: str,
        result: TargetAttempt,
        retries: int,
        exhausted: str | None,
    ) -> None:
        target = config.target
        where = "dropped (the schedule's target has no DeadLetterConfig)"
        if target.dead_letter_arn is not None and self.dead_letters is not None:
            queue = sqs_queue_name(target.dead_letter_arn)
            attributes = {
                "ERROR_CODE": result.error_code,
                "ERROR_MESSAGE": result.error_message,
                "RETRY_ATTEMPTS": str(retries),
                "TARGET_ARN": target.arn,
                "X-Amz-Scheduler-Schedule-Arn": config.arn,
                "X-Amz-Scheduler-Attempt": str(retries + 1),
            }
            if exhausted is not None:
                attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
            self.dead_letters.send(
                queue,
                body=body,
                attributes=attributes,
                rule_arn=config.arn,
                target_id=config.name,
                event={"ScheduleArn": config.arn, "ScheduledTime": execution.scheduled_time, "Input": body},
            )
            self.counters[SENT_TO_DLQ] += 1
            where = f"dead-letter queue {queue}"
        else:
            self.counters[DROPPED] += 1
        log.warning(
            "schedule %s/%s: the execution of %s failed: %s %s (retries %d%s) -> %s",
            config.group,
            config.name,
            execution.scheduled_time,
            result.error_code,
            result.error_message,
            retries,
            f", exhausted {exhausted}" if exhausted else "",
            where,
        )
