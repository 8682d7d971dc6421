"""`vcn local up` wiring: a function's failed async invocations land in its own dead-letter queue."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from app_profile.parameters import local_parameters
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.service import EventBridgeService
from vcn.invoker import FunctionError
from vcn.local.function_dlq import FunctionDeadLetters, invoking_target
from vcn.local.profile import LocalIdentity
from vcn.template import LocalEndpoints, load_stack, replay_eventbridge_calls


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
    hook(stack.function("ValidationWorkerFunction"), event, FunctionError("PublishError", "bus unreachable"))
    # A function without a DeadLetterQueue keeps nothing.
    hook(stack.function("ConfigurationApiFunction"), event, FunctionError("X", "dropped"))

    [message] = store.list()
    assert message.queue == "ValidationDeadLetterQueue"
    assert json.loads(message.body) == event and message.event == event
    assert message.attributes["ErrorMessage"] == "PublishError: bus unreachable"
    assert message.attributes["ErrorCode"] == "200" and message.attributes["RequestID"]
    assert (message.rule_arn, message.target_id) == (invoker.rule_arn, invoker.target_id)
