"""DIRECT handlers in EVENT invoke mode: invoked asynchronously, with Lambda's retries and on-failure
destination, and never in the way of the broadcast or the subscription."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.support.appsync_server import api_config, raw_client, run, running_server
from tests.support.function_specs import local_function
from tests.support.invokers import CallableInvoker
from vcn.appsync.config import DataSource, HandlerConfig, Namespace
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.lambda_runtime import AsyncInvokeConfig, FunctionSpec, LambdaRuntime
from vcn.local.function_dlq import FunctionDeadLetters

RECORDER_ARN = "arn:aws:lambda:us-east-1:000000000000:function:Recorder"


def event_mode_config() -> Any:
    handler = HandlerConfig("DIRECT", data_source="RecorderSource", invoke_type="EVENT")
    return api_config(
        Namespace("feed", on_publish=handler, on_subscribe=handler),
        data_sources=(DataSource("RecorderSource", RECORDER_ARN),),
    )


def test_a_slow_handler_does_not_hold_back_the_broadcast_or_the_reply() -> None:
    async def scenario() -> list[dict[str, Any]]:
        started, release = asyncio.Event(), asyncio.Event()
        calls: list[dict[str, Any]] = []

        async def slow(event: dict[str, Any]) -> None:
            calls.append(event)
            if event["info"]["operation"] == "PUBLISH":
                started.set()
                await release.wait()  # still running while the subscriber gets the event

        invoker = CallableInvoker({"Recorder": slow})
        async with running_server(event_mode_config(), invoker) as server, raw_client(server) as client:
            assert (await client.subscribe("s1", "/feed/a"))["type"] == "subscribe_success"
            await client.publish("p1", "/feed/a", ['{"n":1}'])
            frames = [await client.recv(), await client.recv()]
            assert {f["type"] for f in frames} == {"data", "publish_success"}
            await asyncio.wait_for(started.wait(), 10)
            assert not release.is_set()
            release.set()
        return calls

    calls = run(scenario())
    assert [call["info"]["operation"] for call in calls] == ["SUBSCRIBE", "PUBLISH"]
    assert calls[1]["events"][0]["payload"] == {"n": 1}
    assert calls[1]["info"]["channel"] == {"path": "/feed/a", "segments": ["feed", "a"]}


def test_a_failing_or_missing_handler_changes_neither_the_broadcast_nor_the_subscription() -> None:
    def failing(event: dict[str, Any]) -> dict[str, Any]:
        raise PermissionError("not allowed")  # in REQUEST_RESPONSE mode this would deny

    async def scenario(invoker: CallableInvoker) -> int:
        async with running_server(event_mode_config(), invoker) as server:
            async with raw_client(server) as client:
                assert (await client.subscribe("s1", "/feed/*"))["type"] == "subscribe_success"
                await client.publish("p1", "/feed/b", ['{"n":2}', '"x"'])
                frames = [await client.recv() for _ in range(3)]
                data = [json.loads(f["event"]) for f in frames if f["type"] == "data"]
                assert data == [{"n": 2}, "x"]
                (reply,) = [f for f in frames if f["type"] == "publish_success"]
                assert [entry["index"] for entry in reply["successful"]] == [0, 1]
                assert reply["failed"] == []
                await asyncio.sleep(0.1)  # let the scheduled invocations run
            return server.api.handlers.event_invocation_errors

    assert run(scenario(CallableInvoker({"Recorder": failing}))) == 0
    # No such function: logged and counted, the clients see nothing of it.
    assert run(scenario(CallableInvoker({}))) == 2


RECORDER = """
import json, os, pathlib

def handler(event, context):
    if event["info"]["operation"] != "PUBLISH":
        return None
    log = pathlib.Path(os.environ["ATTEMPTS"])
    attempts = (int(log.read_text()) if log.exists() else 0) + 1
    log.write_text(str(attempts))
    if attempts < int(os.environ["SUCCEED_ON"]):
        raise RuntimeError(f"table unavailable (attempt {attempts})")
    pathlib.Path(os.environ["RECORDED"]).write_text(json.dumps(event["events"]))
"""


def recorder(tmp_path: Path, succeed_on: int, retries: int = 2) -> FunctionSpec:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "recorder.py").write_text(RECORDER)
    return local_function(
        "Recorder",
        code,
        "recorder.handler",
        timeout=10,
        environment={
            "ATTEMPTS": str(tmp_path / "attempts"),
            "RECORDED": str(tmp_path / "recorded.json"),
            "SUCCEED_ON": str(succeed_on),
        },
        async_invoke=AsyncInvokeConfig(
            maximum_retry_attempts=retries, on_failure="arn:aws:sqs:us-east-1:000000000000:RecorderFailures"
        ),
    )


def publish_through_a_real_recorder(tmp_path: Path, spec: FunctionSpec) -> DeadLetterStore:
    store = DeadLetterStore(tmp_path / "state")

    async def scenario() -> None:
        runtime = LambdaRuntime(
            [spec], on_async_failure=FunctionDeadLetters(store, list), async_retry_delays=(0.05, 0.1)
        )
        await runtime.start()
        try:
            async with running_server(event_mode_config(), runtime) as server, raw_client(server) as client:
                await client.subscribe("s1", "/feed/a")
                await client.publish("p1", "/feed/a", ['{"n":3}'])
                assert {(await client.recv())["type"], (await client.recv())["type"]} == {
                    "data",
                    "publish_success",
                }
                await runtime.drain(timeout=60)
        finally:
            await runtime.stop()

    run(scenario(), timeout=120)
    return store


def test_a_failed_invocation_is_retried_as_lambda_retries_it(tmp_path: Path) -> None:
    store = publish_through_a_real_recorder(tmp_path, recorder(tmp_path, succeed_on=3))
    recorded = json.loads((tmp_path / "recorded.json").read_text())
    assert [event["payload"] for event in recorded] == [{"n": 3}]
    assert (tmp_path / "attempts").read_text() == "3"  # failed twice, the second retry worked
    assert store.list() == []


def test_an_invocation_that_keeps_failing_lands_in_the_on_failure_destination(tmp_path: Path) -> None:
    store = publish_through_a_real_recorder(tmp_path, recorder(tmp_path, succeed_on=1000, retries=1))
    (published,) = [json.loads(message.body) for message in store.list("RecorderFailures")]
    assert published["requestPayload"]["info"]["operation"] == "PUBLISH"
    assert published["requestContext"]["condition"] == "RetriesExhausted"
    assert published["requestContext"]["approximateInvokeCount"] == 2  # MaximumRetryAttempts 1
    assert published["requestPayload"]["events"][0]["payload"] == {"n": 3}
    assert published["responsePayload"]["errorType"] == "RuntimeError"
    assert (tmp_path / "attempts").read_text() == "2"
    assert not (tmp_path / "recorded.json").exists()
