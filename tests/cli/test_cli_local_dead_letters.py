"""`vcn local up` wiring: failed async invocations land in the function's dead-letter queue and in its
on-failure destination, both file-backed queues that `vcn dlq list` shows."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from app_profile.parameters import local_parameters
from tests.support.function_specs import local_function
from tests.support.local_cloud import VCN
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.service import EventBridgeService
from vcn.invoker import FunctionError
from vcn.lambda_runtime import AsyncInvocationFailure, AsyncInvokeConfig, FunctionSpec
from vcn.lambda_runtime.runtime import AsyncInvocation
from vcn.local.function_dlq import FunctionDeadLetters, invocation_record, invoking_target
from vcn.local.profile import LocalIdentity
from vcn.local.state import local_document, write_local_json
from vcn.template import LocalEndpoints, load_stack, replay_eventbridge_calls


def recorder(code_dir: Path) -> FunctionSpec:
    """A function whose failed asynchronous invocations go to its on-failure destination, RecorderFailures."""
    on_failure = AsyncInvokeConfig(on_failure="arn:aws:sqs:us-east-1:000000000000:RecorderFailures")
    return local_function("Recorder", code_dir, "app.handler", async_invoke=on_failure)


def failure(spec: FunctionSpec, payload: object, error: FunctionError | None) -> AsyncInvocationFailure:
    invocation = AsyncInvocation(spec, spec.name, payload, attempts=3, last_error=error)
    return AsyncInvocationFailure(invocation, "RetriesExhausted")


def test_failed_async_invocation_is_kept_for_redrive(tmp_path: Path) -> None:
    stack = load_stack(
        "template.yaml",
        endpoints=LocalEndpoints(),
        parameter_overrides=local_parameters(
            LocalIdentity("http://127.0.0.1:4000", "vcn-local", "http://127.0.0.1:4000/.well-known/jwks.json")
        ),
    )
    eventbridge = EventBridgeService(LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region, state_dir=tmp_path)
    asyncio.run(replay_eventbridge_calls(stack.eventbridge_calls, eventbridge.call))
    rules = eventbridge.resources.lambda_targets
    invoker = invoking_target("ValidationWorkerFunction", rules())
    assert invoker is not None
    assert invoker.rule_arn.startswith("arn:aws:events:us-east-1:000000000000:rule/vehicle-config/")
    assert invoker.target_id

    store = DeadLetterStore(tmp_path)
    hook = FunctionDeadLetters(store, rules)
    event = {"id": "e-1", "detail-type": "ValidationRequested", "detail": {"configurationId": "cfg-1"}}
    hook(
        failure(
            stack.function("ValidationWorkerFunction"),
            event,
            FunctionError("PublishError", "bus unreachable"),
        )
    )
    # A function without a DeadLetterQueue keeps nothing.
    hook(failure(stack.function("ConfigurationApiFunction"), event, FunctionError("X", "dropped")))

    [message] = store.list()
    assert message.queue == "ValidationDeadLetterQueue"
    assert json.loads(message.body) == event and message.event == event
    assert message.attributes["ErrorMessage"] == "PublishError: bus unreachable"
    assert message.attributes["ErrorCode"] == "200" and message.attributes["RequestID"]
    assert (message.rule_arn, message.target_id) == (invoker.rule_arn, invoker.target_id)


def test_the_on_failure_destination_gets_lambdas_invocation_record(tmp_path: Path) -> None:
    spec = recorder(tmp_path)
    store = DeadLetterStore(tmp_path)
    given_up = failure(spec, {"events": [1]}, FunctionError("ClientError", "table missing"))
    FunctionDeadLetters(store, list)(given_up)

    [message] = store.list()
    assert message.queue == "RecorderFailures"
    record = json.loads(message.body)
    assert record["requestContext"] == {
        "requestId": given_up.invocation.request_id,
        "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:Recorder:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"events": [1]}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"] == {"errorMessage": "table missing", "errorType": "ClientError"}
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")


def test_a_record_of_an_event_too_old_to_try_has_no_response(tmp_path: Path) -> None:
    spec = local_function("Recorder", tmp_path, "a.b")
    aged = AsyncInvocationFailure(AsyncInvocation(spec, "Recorder", {"x": 1}), "EventAgeExceeded")
    record = invocation_record(aged, now=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))
    assert record["timestamp"] == "2026-01-02T03:04:05.678Z"
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responsePayload" not in record and "responseContext" not in record


def test_dlq_list_shows_a_records_function_and_condition_and_redrive_says_what_to_do(tmp_path: Path) -> None:
    spec = recorder(tmp_path)
    store = DeadLetterStore(tmp_path)
    FunctionDeadLetters(store, list)(failure(spec, {"n": 1}, FunctionError("RuntimeError", "down")))
    document = local_document(
        region="us-east-1", account="000000000000", eventbridge="http://127.0.0.1:1", bus_name="b",
        appsync=None, api="http://127.0.0.1:2",
    )  # fmt: skip
    write_local_json(tmp_path, document)
    listed = subprocess.run(
        [VCN, "dlq", "list", "--state-dir", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert "RecorderFailures" in listed.stdout and "Recorder RetriesExhausted" in listed.stdout

    eventbridge = EventBridgeService(LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region, state_dir=tmp_path)
    report = asyncio.run(eventbridge.redrive())
    (reason,) = report.failed.values()
    assert "no EventBridge rule sent this message" in reason and "vcn local invoke" in reason
    assert len(store.list()) == 1  # still there, for a later look
