"""LambdaRuntime: warm workers, environment, context, timeouts, errors, crash isolation, concurrency, logs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.function_specs import local_function
from vcn.invoker import FunctionError, FunctionNotFound
from vcn.lambda_runtime import (
    AsyncInvocationFailure,
    AsyncInvokeConfig,
    FunctionSpec,
    InvalidEvent,
    LambdaRuntime,
    invoke_local,
)
from vcn.local.aws_env import function_environment

T = TypeVar("T")

HANDLERS = """
import json
import logging
import os
import signal
import sys
import time

INVOCATIONS = 0


def echo(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    return {"event": event, "pid": os.getpid(), "invocations": INVOCATIONS}


def env(event, context):
    return {key: os.environ.get(key) for key in event["keys"]}


def ctx(event, context):
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
    }


def slow(event, context):
    time.sleep(event.get("seconds", 5))
    return {"pid": os.getpid()}


def boom(event, context):
    raise ValueError("bad configuration " + event.get("id", ""))


def crash(event, context):
    os._exit(3)


def segfault(event, context):
    import ctypes
    ctypes.string_at(0)


def chatty(event, context):
    print("hello from handler")
    print("second line", file=sys.stderr)
    logging.getLogger().warning("root logger warning")
    return "ok"


def touch(event, context):
    with open(event["path"], "w") as marker:
        marker.write(json.dumps(event))
    return None


def not_json(event, context):
    return object()
"""


def run(coroutine: Awaitable[T]) -> T:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    (folder / "pkg").mkdir(parents=True)
    (folder / "app.py").write_text(HANDLERS)
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "nested.py").write_text(
        "def handler(event, context):\n    return 'nested ' + __name__\n"
    )
    (folder / "broken.py").write_text(
        "import does_not_exist_anywhere\n\ndef handler(event, context):\n    return 1\n"
    )
    (folder / "failing_init.py").write_text("raise RuntimeError('config missing at import')\n")
    return folder


def spec(code_dir: Path, name: str, handler: str, **kwargs: Any) -> FunctionSpec:
    return local_function(name, code_dir, handler, timeout=kwargs.pop("timeout", 1), **kwargs)


def with_runtime(
    functions: list[FunctionSpec], body: Callable[[LambdaRuntime], Awaitable[T]], **kwargs: Any
) -> T:
    async def main() -> T:
        runtime = LambdaRuntime(functions, **kwargs)
        await runtime.start()
        try:
            return await body(runtime)
        finally:
            await runtime.stop()

    return run(main())


def test_sync_invoke_returns_result_and_reuses_the_warm_worker(code_dir: Path) -> None:
    async def body(runtime: LambdaRuntime) -> list[Any]:
        first = await runtime.invoke("EchoFunction", {"n": 1})
        second = await runtime.invoke("arn:aws:lambda:us-east-1:000000000000:function:EchoFunction", {"n": 2})
        return [first, second, runtime.worker_count("EchoFunction")]

    first, second, workers = with_runtime([spec(code_dir, "EchoFunction", "app.echo")], body)
    assert first["event"] == {"n": 1} and second["event"] == {"n": 2}
    assert first["pid"] == second["pid"]
    assert (first["invocations"], second["invocations"]) == (1, 2)  # module imported once
    assert workers == 1


def test_handler_in_a_package_is_imported_from_the_code_folder(code_dir: Path) -> None:
    result = with_runtime([spec(code_dir, "Nested", "pkg.nested.handler")], lambda r: r.invoke("Nested", {}))
    assert result == "nested pkg.nested"


def test_environment_has_template_reserved_and_local_variables_but_not_the_parents(
    code_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VCN_PARENT_ONLY_SECRET", "must-not-leak")
    monkeypatch.setenv("AWS_PROFILE", "real-profile")
    function = spec(
        code_dir,
        "EnvFunction",
        "app.env",
        memory=256,
        environment={"EVENT_BUS_NAME": "vehicle-config", "POWERTOOLS_TRACE_DISABLED": "false"},
    )
    keys = [
        "EVENT_BUS_NAME",
        "AWS_ENDPOINT_URL_EVENTBRIDGE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "POWERTOOLS_TRACE_DISABLED",
        "VCN_PARENT_ONLY_SECRET",
        "AWS_PROFILE",
        "LAMBDA_TASK_ROOT",
        "_HANDLER",
    ]
    result = with_runtime(
        [function],
        lambda r: r.invoke("EnvFunction", {"keys": keys}),
        extra_env=function_environment("http://127.0.0.1:4510"),
    )
    assert result["EVENT_BUS_NAME"] == "vehicle-config"
    assert result["AWS_ENDPOINT_URL_EVENTBRIDGE"] == "http://127.0.0.1:4510"
    assert result["AWS_LAMBDA_FUNCTION_NAME"] == "EnvFunction"
    assert result["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert result["AWS_REGION"] == result["AWS_DEFAULT_REGION"] == "us-east-1"
    assert result["AWS_ACCESS_KEY_ID"]
    assert (
        result["POWERTOOLS_TRACE_DISABLED"] == "true"
    )  # no X-Ray daemon locally, whatever the template says
    assert result["VCN_PARENT_ONLY_SECRET"] is None and result["AWS_PROFILE"] is None
    assert result["LAMBDA_TASK_ROOT"] == str(code_dir)
    assert result["_HANDLER"] == "app.env"


def test_environment_overrides_win_over_the_template_for_their_function_only(code_dir: Path) -> None:
    template = {"LOG_LEVEL": "INFO", "EVENT_BUS_NAME": "vehicle-config"}
    functions = [
        spec(code_dir, "Worker", "app.env", environment=template),
        spec(code_dir, "Api", "app.env", environment=template),
    ]
    keys = {
        "keys": ["LOG_LEVEL", "EVENT_BUS_NAME", "VALIDATION_FAULT_INJECTION", "AWS_ENDPOINT_URL_EVENTBRIDGE"]
    }

    async def body(runtime: LambdaRuntime) -> list[Any]:
        return [await runtime.invoke("Worker", keys), await runtime.invoke("Api", keys)]

    worker, api = with_runtime(
        functions,
        body,
        extra_env=function_environment("http://127.0.0.1:4510"),
        environment_overrides={
            "Worker": {
                "LOG_LEVEL": "DEBUG",
                "VALIDATION_FAULT_INJECTION": "enabled",
                "AWS_ENDPOINT_URL_EVENTBRIDGE": "https://events.eu-central-1.amazonaws.com",
            }
        },
    )
    assert worker["LOG_LEVEL"] == "DEBUG" and worker["EVENT_BUS_NAME"] == "vehicle-config"
    assert worker["VALIDATION_FAULT_INJECTION"] == "enabled"  # not in the template: added
    # The local cloud's own wiring still wins, so no override sends a function's calls to AWS.
    assert worker["AWS_ENDPOINT_URL_EVENTBRIDGE"] == "http://127.0.0.1:4510"
    assert api["LOG_LEVEL"] == "INFO" and api["VALIDATION_FAULT_INJECTION"] is None


def test_context_has_the_lambda_fields(code_dir: Path) -> None:
    function = spec(code_dir, "ContextFunction", "app.ctx", timeout=3, memory=512)
    result = with_runtime([function], lambda r: r.invoke("ContextFunction", {}))
    assert result["function_name"] == "ContextFunction"
    assert result["function_version"] == "$LATEST"
    assert result["invoked_function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:ContextFunction"
    assert result["memory_limit_in_mb"] == "512"
    assert len(result["aws_request_id"]) == 36
    assert result["log_group_name"] == "/aws/lambda/ContextFunction"
    assert "[$LATEST]" in result["log_stream_name"]
    assert 0 < result["remaining"] <= 3000
    assert result["cwd"] == result["path0"] == str(code_dir)


def test_timeout_kills_the_worker_and_the_next_call_gets_a_new_one(code_dir: Path) -> None:
    async def body(runtime: LambdaRuntime) -> tuple[FunctionError, Any, Any]:
        warm = await runtime.invoke("SlowFunction", {"seconds": 0})
        with pytest.raises(FunctionError) as timed_out:
            await runtime.invoke("SlowFunction", {"seconds": 30})
        after = await runtime.invoke("SlowFunction", {"seconds": 0})
        return timed_out.value, warm, after

    error, warm, after = with_runtime([spec(code_dir, "SlowFunction", "app.slow", timeout=1)], body)
    assert error.error_type == "Sandbox.Timedout"
    assert error.error_message == "Task timed out after 1.00 seconds"
    assert after["pid"] != warm["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(warm["pid"], 0)


def test_handler_exception_becomes_function_error_and_the_worker_stays_warm(code_dir: Path) -> None:
    functions = [spec(code_dir, "BoomFunction", "app.boom"), spec(code_dir, "EchoFunction", "app.echo")]

    async def body(runtime: LambdaRuntime) -> list[FunctionError]:
        errors = []
        for attempt in ("a", "b"):
            with pytest.raises(FunctionError) as info:
                await runtime.invoke("BoomFunction", {"id": attempt})
            errors.append(info.value)
        assert runtime.worker_count("BoomFunction") == 1
        return errors

    first, second = with_runtime(functions, body)
    assert (first.error_type, first.error_message) == ("ValueError", "bad configuration a")
    assert second.error_message == "bad configuration b"


def test_a_crashing_function_does_not_affect_another_and_is_replaced(code_dir: Path) -> None:
    functions = [
        spec(code_dir, "CrashFunction", "app.crash"),
        spec(code_dir, "SegfaultFunction", "app.segfault"),
        spec(code_dir, "EchoFunction", "app.echo"),
    ]

    async def body(runtime: LambdaRuntime) -> dict[str, Any]:
        before = await runtime.invoke("EchoFunction", {})
        with pytest.raises(FunctionError) as exited:
            await runtime.invoke("CrashFunction", {})
        with pytest.raises(FunctionError) as segfault:
            await runtime.invoke("SegfaultFunction", {})
        after = await runtime.invoke("EchoFunction", {})
        with pytest.raises(FunctionError) as again:
            await runtime.invoke("CrashFunction", {})
        return {
            "before": before,
            "after": after,
            "exited": exited.value,
            "segv": segfault.value,
            "again": again.value,
        }

    outcome = with_runtime(functions, body)
    assert outcome["exited"].error_type == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 3" in outcome["exited"].error_message
    assert outcome["segv"].error_type == "Runtime.ExitError"
    assert "signal: segmentation fault" in outcome["segv"].error_message
    assert outcome["after"]["pid"] == outcome["before"]["pid"]
    assert outcome["after"]["invocations"] == 2
    assert outcome["again"].error_type == "Runtime.ExitError"  # a fresh worker ran (and crashed) again


def test_concurrent_invocations_start_more_workers_up_to_the_limit(code_dir: Path) -> None:
    function = spec(code_dir, "SlowFunction", "app.slow", timeout=5)

    async def body(runtime: LambdaRuntime) -> tuple[list[Any], int]:
        results = await asyncio.gather(*(runtime.invoke("SlowFunction", {"seconds": 0.5}) for _ in range(3)))
        return list(results), runtime.worker_count("SlowFunction")

    results, workers = with_runtime([function], body, max_workers_per_function=2)
    assert len({r["pid"] for r in results}) == 2
    assert workers == 2


def test_a_limit_of_one_worker_serializes_invocations(code_dir: Path) -> None:
    function = spec(code_dir, "SlowFunction", "app.slow", timeout=5)

    async def body(runtime: LambdaRuntime) -> list[Any]:
        return list(
            await asyncio.gather(*(runtime.invoke("SlowFunction", {"seconds": 0.1}) for _ in range(3)))
        )

    results = with_runtime([function], body, max_workers_per_function=1)
    assert len({r["pid"] for r in results}) == 1


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "broken.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'broken': No module named 'does_not_exist_anywhere'",
        ),
        ("missing_module.handler", "Runtime.ImportModuleError", "Unable to import module 'missing_module'"),
        (
            "app.no_such_function",
            "Runtime.HandlerNotFound",
            "Handler 'no_such_function' missing on module 'app'",
        ),
        ("failing_init.handler", "RuntimeError", "config missing at import"),
    ],
)
def test_init_errors_are_reported_like_lambda(
    code_dir: Path, handler: str, error_type: str, message: str
) -> None:
    async def body(runtime: LambdaRuntime) -> FunctionError:
        with pytest.raises(FunctionError) as info:
            await runtime.invoke("BrokenFunction", {})
        assert runtime.worker_count("BrokenFunction") == 0
        return info.value

    error = with_runtime([spec(code_dir, "BrokenFunction", handler)], body)
    assert error.error_type == error_type
    assert message in error.error_message


def test_a_fixed_import_error_recovers_on_the_next_call(code_dir: Path) -> None:
    async def body(runtime: LambdaRuntime) -> Any:
        with pytest.raises(FunctionError):
            await runtime.invoke("LaterFunction", {})
        (code_dir / "later.py").write_text("def handler(event, context):\n    return 'fixed'\n")
        return await runtime.invoke("LaterFunction", {})

    assert with_runtime([spec(code_dir, "LaterFunction", "later.handler")], body) == "fixed"


def test_result_that_is_not_json_is_a_marshal_error(code_dir: Path) -> None:
    async def body(runtime: LambdaRuntime) -> FunctionError:
        with pytest.raises(FunctionError) as info:
            await runtime.invoke("BadResult", {})
        return info.value

    error = with_runtime([spec(code_dir, "BadResult", "app.not_json")], body)
    assert error.error_type == "Runtime.MarshalError"


def test_unknown_function_is_function_not_found(code_dir: Path) -> None:
    async def body(runtime: LambdaRuntime) -> None:
        with pytest.raises(FunctionNotFound):
            await runtime.invoke("Nope", {})
        with pytest.raises(FunctionNotFound):
            await runtime.invoke_async("arn:aws:lambda:us-east-1:000000000000:function:Nope", {})

    with_runtime([spec(code_dir, "EchoFunction", "app.echo")], body)


def test_logs_are_forwarded_line_by_line_with_the_function_name(
    code_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vcn.lambda")
    result = with_runtime(
        [spec(code_dir, "ChattyFunction", "app.chatty")], lambda r: r.invoke("ChattyFunction", {})
    )
    assert result == "ok"
    lines = [record.getMessage() for record in caplog.records if record.name == "vcn.lambda"]
    assert "[ChattyFunction] hello from handler" in lines
    assert "[ChattyFunction] second line" in lines
    assert any(
        line.startswith("[ChattyFunction] [WARNING]") and "root logger warning" in line for line in lines
    )


def test_async_invocations_run_in_the_background_and_failures_are_logged(
    code_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="vcn.lambda")
    markers = [tmp_path / f"marker-{i}.json" for i in range(3)]
    functions = [spec(code_dir, "TouchFunction", "app.touch"), spec(code_dir, "BoomFunction", "app.boom")]

    async def body(runtime: LambdaRuntime) -> None:
        for marker in markers:
            await runtime.invoke_async("TouchFunction", {"path": str(marker)})
        await runtime.invoke_async("BoomFunction", {"id": "async"})
        await runtime.drain(timeout=30)

    failures: list[AsyncInvocationFailure] = []

    async def on_async_failure(failure: AsyncInvocationFailure) -> None:
        failures.append(failure)

    with_runtime(
        functions,
        body,
        max_async_concurrency=2,
        on_async_failure=on_async_failure,
        async_retry_delays=(0.01, 0.02),
    )
    (failure,) = failures
    assert (failure.spec.name, failure.payload, failure.condition) == (
        "BoomFunction",
        {"id": "async"},
        "RetriesExhausted",
    )
    assert failure.error is not None and failure.error.error_type == "ValueError"
    assert failure.invocation.attempts == 3  # Lambda's default: the first attempt and two retries
    assert all(json.loads(m.read_text())["path"] == str(m) for m in markers)
    warnings = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "vcn.lambda"
    ]
    assert any(
        "[BoomFunction] async invocation failed: ValueError: bad configuration async (attempt 3 of 3)" in w
        for w in warnings
    )


def test_async_retries_follow_the_functions_maximum_retry_attempts(code_dir: Path, tmp_path: Path) -> None:
    counter = tmp_path / "attempts"
    (code_dir / "flaky.py").write_text(
        "import pathlib\n"
        "def handler(event, context):\n"
        "    path = pathlib.Path(event['counter'])\n"
        "    seen = int(path.read_text()) if path.exists() else 0\n"
        "    path.write_text(str(seen + 1))\n"
        "    if seen + 1 < event['succeed_on']:\n"
        "        raise RuntimeError(f'attempt {seen + 1}')\n"
        "    return 'ok'\n"
    )
    no_retries = spec(
        code_dir, "OnceFunction", "flaky.handler", async_invoke=AsyncInvokeConfig(maximum_retry_attempts=0)
    )
    retried = spec(code_dir, "RetriedFunction", "flaky.handler")
    failures: list[AsyncInvocationFailure] = []

    async def body(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("OnceFunction", {"counter": str(counter) + "-once", "succeed_on": 2})
        await runtime.invoke_async("RetriedFunction", {"counter": str(counter) + "-retried", "succeed_on": 3})
        await runtime.drain(timeout=30)

    with_runtime([no_retries, retried], body, on_async_failure=failures.append, async_retry_delays=(0.01,))
    # MaximumRetryAttempts 0: one attempt, then the failure; the default (2): the third attempt succeeds.
    assert [(f.spec.name, f.condition, f.invocation.attempts) for f in failures] == [
        ("OnceFunction", "RetriesExhausted", 1)
    ]
    assert (tmp_path / "attempts-once").read_text() == "1"
    assert (tmp_path / "attempts-retried").read_text() == "3"


def test_an_event_older_than_its_maximum_age_is_not_attempted_again(code_dir: Path) -> None:
    aging = spec(
        code_dir, "BoomFunction", "app.boom", async_invoke=AsyncInvokeConfig(maximum_event_age_seconds=60)
    )
    failures: list[AsyncInvocationFailure] = []

    async def body(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("BoomFunction", {"id": "old"})
        (invocation,) = runtime._async_tasks.values()
        invocation.accepted_at -= 61  # as if it had waited in the queue for over a minute
        await runtime.drain(timeout=30)

    with_runtime([aging], body, on_async_failure=failures.append, async_retry_delays=(0.01,))
    (failure,) = failures
    assert (failure.condition, failure.invocation.attempts, failure.error) == ("EventAgeExceeded", 0, None)


def test_invocations_waiting_for_a_retry_at_stop_go_to_the_failure_hook(code_dir: Path) -> None:
    failures: list[AsyncInvocationFailure] = []

    async def body(runtime: LambdaRuntime) -> None:
        await runtime.invoke_async("BoomFunction", {"id": "pending"})
        for _ in range(500):  # until the first attempt failed and the retry waits
            if runtime._async_tasks and next(iter(runtime._async_tasks.values())).attempts == 1:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)

    # The retry would come only after an hour: the runtime stops first.
    with_runtime(
        [spec(code_dir, "BoomFunction", "app.boom")], body, on_async_failure=failures.append,
        async_retry_delays=(3600.0,),
    )  # fmt: skip
    (failure,) = failures
    assert (failure.condition, failure.invocation.attempts) == ("LocalCloudStopped", 1)
    assert failure.error is not None and failure.error.error_type == "ValueError"


def test_prewarm_starts_one_worker_per_function(code_dir: Path) -> None:
    functions = [
        spec(code_dir, "EchoFunction", "app.echo"),
        spec(code_dir, "BrokenFunction", "broken.handler"),
    ]

    async def main() -> tuple[int, int]:
        runtime = LambdaRuntime(functions)
        try:
            await runtime.start(prewarm=True)
            return runtime.worker_count("EchoFunction"), runtime.worker_count("BrokenFunction")
        finally:
            await runtime.stop()

    assert run(main()) == (1, 0)


@pytest.fixture
def event_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"configurationId": "cfg-1"}))
    yield path


def test_invoke_local_runs_the_function_with_the_event_file(code_dir: Path, event_file: Path) -> None:
    outcome = invoke_local(spec(code_dir, "EchoFunction", "app.echo"), event_file)
    assert outcome.ok
    assert outcome.result["event"] == {"configurationId": "cfg-1"}
    assert json.loads(outcome.to_json())["event"] == {"configurationId": "cfg-1"}


def test_invoke_local_reports_a_function_error_as_lambda_prints_it(code_dir: Path, event_file: Path) -> None:
    outcome = invoke_local(spec(code_dir, "BoomFunction", "app.boom"), event_file)
    assert not outcome.ok
    assert json.loads(outcome.to_json()) == {"errorMessage": "bad configuration ", "errorType": "ValueError"}


def test_invoke_local_rejects_an_event_that_is_not_json(code_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidEvent, match="is not JSON"):
        invoke_local(spec(code_dir, "EchoFunction", "app.echo"), bad)
    with pytest.raises(InvalidEvent, match="cannot read event file"):
        invoke_local(spec(code_dir, "EchoFunction", "app.echo"), tmp_path / "missing.json")


def test_a_warm_worker_killed_while_idle_is_replaced_transparently(code_dir: Path) -> None:
    async def body(runtime: LambdaRuntime) -> tuple[Any, Any]:
        first = await runtime.invoke("EchoFunction", {})
        os.kill(first["pid"], signal.SIGKILL)
        for _ in range(200):  # until the child watcher has reaped it (Linux /proc), at most 10 s
            if not Path(f"/proc/{first['pid']}").exists():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)  # the exit callback runs on the next loop turn
        return first, await runtime.invoke("EchoFunction", {})

    first, second = with_runtime([spec(code_dir, "EchoFunction", "app.echo")], body)
    assert second["pid"] != first["pid"] and second["invocations"] == 1
