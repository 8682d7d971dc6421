"""What the Lambda runtime reports for AWS/Lambda (invocations, errors, durations) and the workers' output
that reaches `on_output` (where the local CloudWatch picks up embedded metrics)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.function_specs import local_function
from vcn.invoker import FunctionError
from vcn.lambda_runtime import FunctionSpec, InvocationCounts, LambdaRuntime

HANDLERS = """
import json
import time


def ok(event, context):
    time.sleep(event.get("sleep", 0))
    return "ok"


def fail(event, context):
    raise RuntimeError("refused")


def metric(event, context):
    print(json.dumps({
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
            {"Namespace": "Shop", "Dimensions": [["service"]], "Metrics": [{"Name": "Sold", "Unit": "Count"}]}
        ]},
        "service": "orders",
        "Sold": 2,
    }))
    return "sold"
"""


def spec(code: Path, name: str, handler: str) -> FunctionSpec:
    return local_function(name, code, handler, timeout=5)


@pytest.fixture
def code(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(HANDLERS)
    return tmp_path


def test_invocations_errors_and_durations_per_function(code: Path) -> None:
    async def scenario() -> tuple[
        dict[str, InvocationCounts], dict[str, list[float]], dict[str, list[float]]
    ]:
        runtime = LambdaRuntime([spec(code, "Ok", "app.ok"), spec(code, "Fail", "app.fail")])
        await runtime.start()
        try:
            await runtime.invoke("Ok", {"sleep": 0.05})
            await runtime.invoke("Ok", {})
            with pytest.raises(FunctionError):
                await runtime.invoke("Fail", {})
            return runtime.invocation_counts(), runtime.take_durations(), runtime.take_durations()
        finally:
            await runtime.stop()

    counts, durations, again = asyncio.run(scenario())
    assert counts == {"Ok": InvocationCounts(2, 0), "Fail": InvocationCounts(1, 1)}
    assert len(durations["Ok"]) == 2 and max(durations["Ok"]) >= 50
    assert len(durations["Fail"]) == 1
    assert again == {}


def test_a_function_that_cannot_start_counts_as_an_invocation_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('config missing at import')\n")

    async def scenario() -> dict[str, InvocationCounts]:
        runtime = LambdaRuntime([spec(tmp_path, "Broken", "broken.handler")])
        await runtime.start()
        try:
            with pytest.raises(FunctionError):
                await runtime.invoke("Broken", {})
            return runtime.invocation_counts()
        finally:
            await runtime.stop()

    assert asyncio.run(scenario()) == {"Broken": InvocationCounts(1, 1)}


def test_every_output_line_reaches_on_output_with_the_function_name(code: Path) -> None:
    seen: list[tuple[str, str]] = []

    async def scenario() -> None:
        runtime = LambdaRuntime(
            [spec(code, "Seller", "app.metric")], on_output=lambda f, line: seen.append((f, line))
        )
        await runtime.start()
        try:
            await runtime.invoke("Seller", {})
            for _ in range(100):  # the output pump runs beside the invocation
                if any('"_aws"' in line for _, line in seen):
                    break
                await asyncio.sleep(0.02)
        finally:
            await runtime.stop()

    asyncio.run(scenario())
    [emf] = [json.loads(line) for function, line in seen if function == "Seller" and '"_aws"' in line]
    assert emf["Sold"] == 2 and emf["service"] == "orders"


def test_an_output_hook_that_fails_does_not_stop_the_function(code: Path) -> None:
    def broken(function: str, line: str) -> None:
        raise ValueError("listener bug")

    async def scenario() -> list[str]:
        runtime = LambdaRuntime([spec(code, "Seller", "app.metric")], on_output=broken)
        await runtime.start()
        try:
            return [await runtime.invoke("Seller", {}), await runtime.invoke("Seller", {})]
        finally:
            await runtime.stop()

    assert asyncio.run(scenario()) == ["sold", "sold"]
