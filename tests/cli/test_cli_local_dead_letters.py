"""`vcn local up` wiring: a function's failed async invocations land in its own dead-letter queue."""

from __future__ import annotations

import json
from pathlib import Path

from app_profile.parameters import local_parameters
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.invoker import FunctionError
from vcn.local.function_dlq import FunctionDeadLetters, rule_targets_by_function
from vcn.local.profile import LocalIdentity
from vcn.template import LocalEndpoints, load_stack


def test_failed_async_invocation_is_kept_for_redrive(tmp_path: Path) -> None:
    stack = load_stack(
        "template.yaml",
        endpoints=LocalEndpoints(),
        parameter_overrides=local_parameters(
            LocalIdentity("http://127.0.0.1:4000", "vcn-local", "http://127.0.0.1:4000/.well-known/jwks.json")
        ),
    )
    invoked_by = rule_targets_by_function(stack.eventbridge_calls)
    rule_arn, target_id = invoked_by["ValidationWorkerFunction"]
    assert rule_arn.startswith("arn:aws:events:us-east-1:000000000000:rule/vehicle-config/")
    assert target_id

    store = DeadLetterStore(tmp_path)
    hook = FunctionDeadLetters(store, invoked_by)
    event = {"id": "e-1", "detail-type": "ValidationRequested", "detail": {"configurationId": "cfg-1"}}
    hook(stack.function("ValidationWorkerFunction"), event, FunctionError("PublishError", "bus unreachable"))
    # A function without a DeadLetterQueue keeps nothing.
    hook(stack.function("ConfigurationApiFunction"), event, FunctionError("X", "dropped"))

    [message] = store.list()
    assert message.queue == "ValidationDeadLetterQueue"
    assert json.loads(message.body) == event and message.event == event
    assert message.attributes["ErrorMessage"] == "PublishError: bus unreachable"
    assert message.attributes["ErrorCode"] == "200" and message.attributes["RequestID"]
    assert (message.rule_arn, message.target_id) == (rule_arn, target_id)
