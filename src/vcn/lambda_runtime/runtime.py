"""`LambdaRuntime`: the local cloud's `LambdaInvoker`, running each function in warm worker processes.

One pool per function: a warm worker is reused; concurrent calls start more, up to `max_workers_per_function`,
then wait. Asynchronous invocations are queued and run with bounded concurrency, with Lambda's semantics: a
failed attempt is retried up to the function's `MaximumRetryAttempts` (default 2), after 1 and then 2
minutes (`async_retry_delays`), unless the event is older than `MaximumEventAgeInSeconds`; then the
`on_async_failure` hook gets the failure (the local cloud sends it to the dead-letter queue and the
on-failure destination). With a durable `queue` (`async_queue`), accepted invocations are kept there until
settled and what is pending when the runtime stops runs at the next start; without one, what is pending at
stop goes to the hook as well.
Each pool counts its invocations, errors and durations (`invocation_counts`, `take_durations`), the figures
AWS/Lambda reports; `on_output` sees every line the workers print (e.g. to pick up embedded metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, Literal, ParamSpec

from vcn.arns import function_name
from vcn.invoker import FunctionError, FunctionNotFound

from .async_queue import AsyncInvocationQueue, AsyncQueueError, QueuedInvocation
from .config import FunctionSpec
from .environment import worker_environment
from .worker import OutputHook, Worker

logger = logging.getLogger("vcn.lambda")
P = ParamSpec("P")

# Lambda's waits before the first and the second retry of a failed asynchronous invocation
LAMBDA_RETRY_DELAYS = (60.0, 120.0)
# Why an asynchronous invocation was given up; the last one is the local cloud's own (it stopped meanwhile).
FailureCondition = Literal["RetriesExhausted", "EventAgeExceeded", "LocalCloudStopped"]


@dataclass
class AsyncInvocation:
    """One asynchronous invocation, from the moment Lambda accepted it."""

    spec: FunctionSpec
    function: str  # as the caller named it (name or ARN)
    payload: Any
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    accepted_at: float = field(default_factory=time.time)
    attempts: int = 0
    last_error: FunctionError | None = None
    settled: bool = False  # succeeded, or handed to the failure hook


@dataclass(frozen=True)
class AsyncInvocationFailure:
    """An asynchronous invocation given up: why, after how many attempts, with the last error (if any ran)."""

    invocation: AsyncInvocation
    condition: FailureCondition

    @property
    def spec(self) -> FunctionSpec:
        return self.invocation.spec

    @property
    def payload(self) -> Any:
        return self.invocation.payload

    @property
    def error(self) -> FunctionError | None:
        return self.invocation.last_error


# Called when an asynchronous invocation is given up (e.g. to put it in the function's dead-letter queue)
AsyncFailureHook = Callable[[AsyncInvocationFailure], Awaitable[None] | None]
# Durations kept per function between two `take_durations`; beyond it they are only counted.
MAX_DURATION_SAMPLES = 10_000


@dataclass(frozen=True)
class InvocationCounts:
    """A function's invocations since start, and how many ended in a function error (AWS/Lambda's Errors).

    There are no throttles locally: calls beyond the pool's workers wait instead."""

    invocations: int
    errors: int


class FunctionPool:
    """The warm workers of one function."""

    def __init__(
        self,
        spec: FunctionSpec,
        extra_env: Mapping[str, str],
        overrides: Mapping[str, str],
        python: str,
        max_workers: int,
        init_timeout: float,
        on_output: OutputHook | None = None,
    ) -> None:
        self.spec = spec
        self._extra_env = dict(extra_env)
        self._overrides = dict(overrides)
        self._python = python
        self._init_timeout = init_timeout
        self._on_output = on_output
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._slots = asyncio.Semaphore(max_workers)
        self.invocations = 0
        self.errors = 0
        self.durations: list[float] = []  # milliseconds, since the last take

    @property
    def worker_count(self) -> int:
        return len(self._all)

    async def _spawn(self) -> Worker:
        environment = worker_environment(self.spec, self._extra_env, self._overrides)
        worker = Worker(self.spec, environment, self._python, on_output=self._on_output)
        self._all.add(worker)
        try:
            await worker.start(self._init_timeout)
        except BaseException:
            self._all.discard(worker)
            await worker.kill()
            raise
        return worker

    async def _warm_worker(self) -> Worker | None:
        """An idle worker that is still running; ones that died while idle are collected."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            self._all.discard(worker)
            await worker.kill()
        return None

    async def prewarm(self) -> None:
        if self._all:
            return
        try:
            self._idle.append(await self._spawn())
        except FunctionError as exc:
            logger.warning("[%s] could not start: %s: %s", self.spec.name, exc.error_type, exc.error_message)

    async def invoke(self, payload: Any, invoked_arn: str) -> Any:
        async with self._slots:
            self.invocations += 1
            try:
                return await self._invoke_warm(payload, invoked_arn)
            except FunctionError:
                self.errors += 1  # an init failure on the way counts too, as in AWS
                raise

    async def _invoke_warm(self, payload: Any, invoked_arn: str) -> Any:
        worker = await self._warm_worker() or await self._spawn()
        started = time.monotonic()
        try:
            return await worker.invoke(payload, invoked_arn)
        finally:
            if len(self.durations) < MAX_DURATION_SAMPLES:
                self.durations.append((time.monotonic() - started) * 1000)
            if worker.dead:
                self._all.discard(worker)
            else:
                self._idle.append(worker)

    async def stop(self, grace_seconds: float) -> None:
        workers, self._idle = list(self._all), []
        self._all.clear()
        await asyncio.gather(*(w.stop(grace_seconds) for w in workers), return_exceptions=True)


class LambdaRuntime:
    """Runs the template's functions locally; implements `vcn.invoker.LambdaInvoker`.

    `extra_env` goes to every function; `environment_overrides` maps a function name to variables that win
    over the template's (`--env-vars`); `on_output(function, line)` sees every line a worker prints.
    """

    def __init__(
        self,
        functions: Iterable[FunctionSpec],
        *,
        extra_env: Mapping[str, str] | None = None,
        environment_overrides: Mapping[str, Mapping[str, str]] | None = None,
        python: str = sys.executable,
        max_workers_per_function: int = 4,
        max_async_concurrency: int = 16,
        init_timeout: float = 10.0,
        on_async_failure: AsyncFailureHook | None = None,
        on_output: OutputHook | None = None,
        async_retry_delays: Sequence[float] = LAMBDA_RETRY_DELAYS,
        queue: AsyncInvocationQueue | None = None,
    ) -> None:
        if max_workers_per_function < 1:
            raise ValueError("max_workers_per_function must be at least 1")
        overrides = environment_overrides or {}
        self._pools = {
            spec.name: FunctionPool(
                spec,
                extra_env or {},
                overrides.get(spec.name, {}),
                python,
                max_workers_per_function,
                init_timeout,
                on_output,
            )
            for spec in functions
        }
        self._async_slots = asyncio.Semaphore(max_async_concurrency)
        self._async_tasks: dict[asyncio.Task[None], AsyncInvocation] = {}
        self._on_async_failure = on_async_failure
        if not async_retry_delays:
            raise ValueError("async_retry_delays needs at least one delay")
        self._retry_delays = tuple(async_retry_delays)
        self.async_failures = 0  # invocations given up, since start
        self._python = python
        self._queue = queue
        # What the queue held from an earlier run, read before this run accepts anything: only these resume.
        self._kept: list[QueuedInvocation] = queue.pending() if queue is not None else []

    @property
    def function_names(self) -> list[str]:
        return list(self._pools)

    def invocation_counts(self) -> dict[str, InvocationCounts]:
        """Per function name: invocations and errors since start."""
        return {name: InvocationCounts(pool.invocations, pool.errors) for name, pool in self._pools.items()}

    def take_durations(self) -> dict[str, list[float]]:
        """Per function name: the durations (milliseconds) of invocations since the previous take."""
        taken = {}
        for name, pool in self._pools.items():
            if pool.durations:
                taken[name], pool.durations = pool.durations, []
        return taken

    def worker_count(self, function: str) -> int:
        """Worker processes currently alive for a function (for tests and metrics)."""
        return self._pool(function).worker_count

    def _pool(self, function: str) -> FunctionPool:
        try:
            return self._pools[function_name(function)]
        except KeyError:
            known = ", ".join(self._pools) or "none"
            raise FunctionNotFound(f"Function not found: {function} (local functions: {known})") from None

    async def start(self, *, prewarm: bool = False) -> None:
        """Workers start lazily on first invoke; `prewarm=True` starts one per function now (in parallel)."""
        local = f"python{sys.version_info.major}.{sys.version_info.minor}"
        others = sorted({p.spec.runtime for p in self._pools.values() if p.spec.runtime != local})
        if others and self._python == sys.executable:
            logger.info(
                "functions declare %s and run on the local %s (%s)", ", ".join(others), local, self._python
            )
        if prewarm:
            await asyncio.gather(*(pool.prewarm() for pool in self._pools.values()))

    def resume(self) -> int:
        """Run again what the queue kept from an earlier run (read when the runtime was made, so nothing this
        run accepted runs twice), its attempts, age and next attempt time kept; how many. Called once what
        the functions call (buses, tables, APIs) is listening."""
        if self._queue is None:
            return 0
        resumed = 0
        kept_from_before, self._kept = self._kept, []
        for kept in kept_from_before:
            pool = self._pools.get(function_name(kept.function))
            if pool is None:
                logger.error(
                    "asynchronous invocation %s of %s is kept in %s, but the template declares no such "
                    "function any more; it stays there until the function is back",
                    kept.request_id,
                    kept.function,
                    self._queue.path,
                )
                continue
            invocation = AsyncInvocation(
                pool.spec, kept.function, kept.payload, kept.request_id, kept.accepted_at, kept.attempts
            )
            if kept.last_error_type is not None:
                invocation.last_error = FunctionError(kept.last_error_type, kept.last_error_message or "")
            self._run_in_background(invocation, delay=max(0.0, kept.next_attempt_at - time.time()))
            resumed += 1
        if resumed:
            logger.info("resuming %d asynchronous invocations from %s", resumed, self._queue.path)
        return resumed

    async def invoke(self, function: str, payload: Any) -> Any:
        pool = self._pool(function)
        invoked_arn = function if function.startswith("arn:") else pool.spec.arn
        return await pool.invoke(payload, invoked_arn)

    async def invoke_async(self, function: str, payload: Any) -> None:
        """Accept an asynchronous invocation: kept in the durable queue (if any) before this returns."""
        spec = self._pool(function).spec  # an unknown function is the caller's error, raised now
        invocation = AsyncInvocation(spec, function, payload)
        if self._queue is not None:
            self._queue.add(
                QueuedInvocation(invocation.request_id, function, payload, invocation.accepted_at, 0, 0.0)
            )
        self._run_in_background(invocation)

    def _run_in_background(self, invocation: AsyncInvocation, delay: float = 0.0) -> None:
        task = asyncio.get_running_loop().create_task(self._run_async(invocation, delay))
        self._async_tasks[task] = invocation
        task.add_done_callback(self._async_done)

    def _async_done(self, task: asyncio.Task[None]) -> None:
        self._async_tasks.pop(task, None)

    async def _run_async(self, invocation: AsyncInvocation, delay: float = 0.0) -> None:
        config = invocation.spec.async_invoke
        name = invocation.spec.name
        if invocation.attempts > config.maximum_retry_attempts:  # resumed while being given up
            await self._give_up(invocation, "RetriesExhausted")
            return
        if delay > 0:
            await asyncio.sleep(delay)
        while True:
            if time.time() - invocation.accepted_at > config.maximum_event_age_seconds:
                await self._give_up(invocation, "EventAgeExceeded")
                return
            async with self._async_slots:
                invocation.attempts += 1
                try:
                    await self.invoke(invocation.function, invocation.payload)
                    invocation.settled = True
                    self._in_queue(AsyncInvocationQueue.remove, invocation.request_id)
                    return
                except FunctionError as exc:
                    invocation.last_error = exc
                except Exception as exc:  # an async invocation must never take the caller down
                    logger.exception("[%s] async invocation failed", name)
                    invocation.last_error = FunctionError(type(exc).__name__, str(exc))
            error = invocation.last_error
            logger.warning(
                "[%s] async invocation failed: %s: %s (attempt %d of %d)",
                name,
                error.error_type,
                error.error_message,
                invocation.attempts,
                config.maximum_retry_attempts + 1,
            )
            if invocation.attempts > config.maximum_retry_attempts:
                await self._give_up(invocation, "RetriesExhausted")
                return
            wait = self._retry_delays[min(invocation.attempts, len(self._retry_delays)) - 1]
            self._in_queue(
                AsyncInvocationQueue.attempted,
                invocation.request_id,
                invocation.attempts,
                time.time() + wait,
                error.error_type,
                error.error_message,
            )
            await asyncio.sleep(wait)

    async def _give_up(self, invocation: AsyncInvocation, condition: FailureCondition) -> None:
        invocation.settled = True
        self.async_failures += 1
        logger.warning(
            "[%s] async invocation %s given up (%s after %d attempts)",
            invocation.spec.name,
            invocation.request_id,
            condition,
            invocation.attempts,
        )
        if self._on_async_failure is not None:
            try:
                outcome = self._on_async_failure(AsyncInvocationFailure(invocation, condition))
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # the hook's failure must not hide the function's
                logger.exception(
                    "[%s] on_async_failure hook failed%s",
                    invocation.spec.name,
                    "; the invocation stays queued and is given up again at the next start"
                    if self._queue is not None
                    else "",
                )
                return
        self._in_queue(AsyncInvocationQueue.remove, invocation.request_id)

    def _in_queue(
        self, change: Callable[Concatenate[AsyncInvocationQueue, P], None], *args: P.args, **kwargs: P.kwargs
    ) -> None:
        """Record a change in the durable queue, if any. A failed write is logged, never raised: the
        invocation goes on, and at worst the next start runs it once more (at least once, as in AWS)."""
        if self._queue is None:
            return
        try:
            change(self._queue, *args, **kwargs)
        except AsyncQueueError as exc:
            logger.error("%s", exc)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until queued asynchronous invocations have run (or `timeout` passes)."""
        pending = list(self._async_tasks)
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def stop(self, grace_seconds: float = 2.0) -> None:
        """Let queued async invocations finish within the grace period, then stop every worker.

        Invocations still queued or waiting for a retry stay in the durable queue for the next start; without
        one they go to the failure hook (`LocalCloudStopped`): what Lambda would still retry is not dropped
        without a trace."""
        await self.drain(grace_seconds)
        pending = dict(self._async_tasks)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        unsettled = [invocation for invocation in pending.values() if not invocation.settled]
        if self._queue is not None:
            if unsettled:
                logger.info(
                    "%d asynchronous invocations did not finish; kept in %s for the next start",
                    len(unsettled),
                    self._queue.path,
                )
            self._queue.close()
        else:
            for invocation in unsettled:
                await self._give_up(invocation, "LocalCloudStopped")
        await asyncio.gather(*(pool.stop(1.0) for pool in self._pools.values()))
