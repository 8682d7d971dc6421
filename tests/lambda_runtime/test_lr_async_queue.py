"""The durable queue of asynchronous invocations: accepted means kept until settled, across stops and crashes.

A crash is a runtime abandoned without `stop` (its queue file is all the next one gets), as with kill -9; the
end-to-end test in tests/e2e/test_e2e_async_invocations.py kills a real `vcn local up`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.async_queue import queued
from tests.support.function_specs import local_function
from vcn.lambda_runtime import AsyncInvocationFailure, FunctionSpec, LambdaRuntime
from vcn.lambda_runtime.async_queue import (
    AsyncInvocationQueue,
    AsyncQueueError,
    QueuedInvocation,
    async_queue_path,
)

HANDLERS = """
import json
import os
import time


def record(event, context):
    if not os.path.exists(os.environ["RUNS"] + ".released"):  # the test lets held invocations go
        time.sleep(event.get("seconds", 0))
    with open(os.environ["RUNS"], "a") as runs:
        runs.write(json.dumps(event) + "\\n")
    return "ok"


def boom(event, context):
    raise ValueError("not today")
"""


@pytest.fixture
def functions(tmp_path: Path) -> list[FunctionSpec]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLERS)
    environment = {"RUNS": str(tmp_path / "runs.jsonl")}
    return [
        local_function("RecordFunction", code, "app.record", timeout=10, environment=environment),
        local_function("BoomFunction", code, "app.boom", timeout=10),
    ]


def runs(tmp_path: Path) -> list[Any]:
    path = tmp_path / "runs.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def with_runtime(
    functions: list[FunctionSpec],
    state: Path,
    body: Callable[[LambdaRuntime], Awaitable[None]],
    *,
    stop: bool = True,
    **options: Any,
) -> None:
    async def main() -> None:
        runtime = LambdaRuntime(functions, queue=AsyncInvocationQueue(async_queue_path(state)), **options)
        await runtime.start()
        try:
            await body(runtime)
        finally:
            if stop:
                await runtime.stop(grace_seconds=0.1)
            else:  # a crash: nothing settles, the workers die with the process
                for task in list(runtime._async_tasks):
                    task.cancel()
                await asyncio.gather(*(pool.stop(1.0) for pool in runtime._pools.values()))

    asyncio.run(main())


def test_an_invocation_is_kept_before_invoke_async_returns_and_leaves_once_it_ran(
    functions: list[FunctionSpec], tmp_path: Path
) -> None:
    async def body(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("RecordFunction", {"id": "a", "seconds": 0.5})
        (kept,) = queued(tmp_path / "state")
        assert (kept.function, kept.payload, kept.attempts) == (
            "RecordFunction",
            {"id": "a", "seconds": 0.5},
            0,
        )
        await runtime.drain(timeout=30)
        assert queued(tmp_path / "state") == []

    with_runtime(functions, tmp_path / "state", body)
    assert [run["id"] for run in runs(tmp_path)] == ["a"]


def test_what_a_crashed_runtime_had_accepted_runs_once_at_the_next_start(
    functions: list[FunctionSpec], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"

    async def accept_then_crash(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("RecordFunction", {"id": "in-flight", "seconds": 30})
        await runtime.invoke_async("RecordFunction", {"id": "queued", "seconds": 30})
        await asyncio.sleep(0.5)  # the first attempts are running when the process dies

    with_runtime(functions, state, accept_then_crash, stop=False)
    assert runs(tmp_path) == []
    assert sorted(kept.payload["id"] for kept in queued(state)) == ["in-flight", "queued"]
    (tmp_path / "runs.jsonl.released").touch()

    async def resume(runtime: LambdaRuntime) -> None:
        assert runtime.resume() == 2
        await runtime.drain(timeout=30)

    with caplog.at_level(logging.INFO, logger="vcn.lambda"):
        with_runtime(functions, state, resume)
    assert sorted(run["id"] for run in runs(tmp_path)) == ["in-flight", "queued"]
    assert queued(state) == []
    assert f"resuming 2 asynchronous invocations from {async_queue_path(state)}" in caplog.text


def test_a_stop_keeps_a_retry_for_the_next_start_with_its_attempts_and_planned_time(
    functions: list[FunctionSpec], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    failures: list[AsyncInvocationFailure] = []

    async def fail_once(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("BoomFunction", {"id": "retry-me"})
        for _ in range(500):  # until the first attempt failed and the retry waits
            if [kept.attempts for kept in queued(state)] == [1]:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the first attempt never failed")

    with_runtime(functions, state, fail_once, on_async_failure=failures.append, async_retry_delays=(3600.0,))
    assert failures == []  # kept for the next start, not given up
    (kept,) = queued(state)
    assert (kept.attempts, kept.last_error_type, kept.last_error_message) == (1, "ValueError", "not today")
    assert 3500 < kept.next_attempt_at - time.time() <= 3600

    async def resume(runtime: LambdaRuntime) -> None:
        assert runtime.resume() == 1
        await asyncio.sleep(0.3)
        (waiting,) = runtime._async_tasks.values()
        assert waiting.attempts == 1  # not attempted again before its planned time

    with_runtime(functions, state, resume, on_async_failure=failures.append)
    assert failures == [] and [kept.attempts for kept in queued(state)] == [1]


def test_an_invocation_resumed_after_its_last_attempt_goes_to_the_failure_hook_without_running(
    functions: list[FunctionSpec], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    queue = AsyncInvocationQueue(async_queue_path(state))
    # Killed while its failure was being handed over: three attempts made, the default allows three.
    queue.add(
        QueuedInvocation("r-1", "BoomFunction", {"id": "spent"}, time.time() - 200, 3, 0.0, "ValueError", "x")
    )
    queue.close()
    failures: list[AsyncInvocationFailure] = []

    async def resume(runtime: LambdaRuntime) -> None:
        runtime.resume()
        await runtime.drain(timeout=30)

    with_runtime(functions, state, resume, on_async_failure=failures.append)
    (failure,) = failures
    assert (failure.condition, failure.invocation.attempts, failure.payload) == (
        "RetriesExhausted",
        3,
        {"id": "spent"},
    )
    assert failure.error is not None and failure.error.error_type == "ValueError"
    assert queued(state) == []


def test_an_invocation_of_a_function_the_template_dropped_stays_queued_and_is_named(
    functions: list[FunctionSpec], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    queue = AsyncInvocationQueue(async_queue_path(state))
    queue.add(QueuedInvocation("r-2", "GoneFunction", {"id": "orphan"}, time.time(), 0, 0.0))
    queue.close()

    async def resume(runtime: LambdaRuntime) -> None:
        assert runtime.resume() == 0

    with caplog.at_level(logging.ERROR, logger="vcn.lambda"):
        with_runtime(functions, state, resume)
    assert "asynchronous invocation r-2 of GoneFunction is kept in" in caplog.text
    assert [kept.request_id for kept in queued(state)] == ["r-2"]


def test_a_damaged_row_is_skipped_with_how_to_delete_it_and_a_damaged_file_stops_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = async_queue_path(tmp_path / "state")
    queue = AsyncInvocationQueue(path)
    queue.add(QueuedInvocation("good", "F", {"n": 1}, 1.0, 0, 0.0))
    queue.add(QueuedInvocation("bad", "F", {"n": 2}, 2.0, 0, 0.0))
    queue.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE invocations SET payload = '{not json' WHERE request_id = 'bad'")
    with caplog.at_level(logging.ERROR, logger="vcn.lambda"):
        assert [kept.request_id for kept in queued(tmp_path / "state")] == ["good"]
    assert "DELETE FROM invocations WHERE request_id = 'bad'" in caplog.text

    other = tmp_path / "other" / "lambda" / "async-invocations.sqlite3"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"not a database, just bytes " * 100)
    with pytest.raises(AsyncQueueError, match=r"cannot be opened .* move it aside"):
        AsyncInvocationQueue(other)


def test_without_a_queue_what_is_pending_at_stop_still_goes_to_the_failure_hook(
    functions: list[FunctionSpec],
) -> None:
    failures: list[AsyncInvocationFailure] = []

    async def main() -> None:
        runtime = LambdaRuntime(functions, on_async_failure=failures.append)
        await runtime.start()
        await runtime.invoke_async("RecordFunction", {"id": "slow", "seconds": 30})
        await asyncio.sleep(0.3)
        await runtime.stop(grace_seconds=0.1)

    asyncio.run(main())
    assert [(f.condition, f.payload["id"]) for f in failures] == [("LocalCloudStopped", "slow")]


def test_only_what_an_earlier_run_kept_resumes_not_what_this_run_accepted_before_resuming(
    functions: list[FunctionSpec], tmp_path: Path
) -> None:
    """The cloud resumes once every endpoint listens; by then its EventBridge may have resumed deliveries that
    handed events to a function already: those run once, not a second time as if kept from before."""
    state = tmp_path / "state"
    queue = AsyncInvocationQueue(async_queue_path(state))
    queue.add(QueuedInvocation("kept", "RecordFunction", {"id": "kept"}, time.time(), 0, 0.0))
    queue.close()

    async def accept_then_resume(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("RecordFunction", {"id": "new"})
        assert runtime.resume() == 1
        await runtime.drain(timeout=30)

    with_runtime(functions, state, accept_then_resume)
    assert sorted(run["id"] for run in runs(tmp_path)) == ["kept", "new"]
    assert queued(state) == []


def test_a_queue_that_cannot_be_written_after_acceptance_is_logged_and_the_invocation_still_runs(
    functions: list[FunctionSpec], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed write once an invocation was accepted must not end its task: it runs, and the error says
    why the next start may run it once more."""

    async def body(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("RecordFunction", {"id": "x", "seconds": 0.3})
        assert runtime._queue is not None
        runtime._queue._db.close()  # as a disk that fails under it
        await runtime.drain(timeout=30)

    with caplog.at_level(logging.ERROR, logger="vcn.lambda"):
        with_runtime(functions, tmp_path / "state", body)
    assert [run["id"] for run in runs(tmp_path)] == ["x"]
    assert "the asynchronous Lambda invocations in" in caplog.text
    assert "Task exception was never retrieved" not in caplog.text
