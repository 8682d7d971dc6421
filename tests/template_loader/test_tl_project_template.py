"""Template loader on the project's own template.yaml, with the overrides `vcn local up` passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vcn.template import LocalEndpoints, LocalStack, load_stack

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
ENDPOINTS = LocalEndpoints(
    api_port=6000, eventbridge_port=6010, appsync_port=6020, api_key_value="da2-project"
)
ISSUER = "http://127.0.0.1:6000"

pytestmark = pytest.mark.skipif(not TEMPLATE.exists(), reason="template.yaml not written yet")


@pytest.fixture(scope="module")
def stack() -> LocalStack:
    return load_stack(
        TEMPLATE,
        endpoints=ENDPOINTS,
        parameter_overrides={
            "TokenIssuer": ISSUER,
            "TokenAudience": "vcn-local",
            "JwksUrl": f"{ISSUER}/.well-known/jwks.json",
        },
    )


def calls(stack: LocalStack, operation: str) -> list[dict[str, Any]]:
    return [request for op, request in stack.eventbridge_calls if op == operation]


def test_the_functions_with_their_handlers_and_environment(stack: LocalStack) -> None:
    functions = {f.name: f for f in stack.functions}
    assert {name: f.handler for name, f in functions.items()} == {
        "ConfigurationApiFunction": "handlers.configuration_api.handler",
        "ValidationWorkerFunction": "handlers.validation_worker.handler",
        "TokenAuthorizerFunction": "handlers.authorizer.handler",
        "SubscribeGuardFunction": "handlers.subscribe_guard.handler",
        "HistoryRecorderFunction": "handlers.history_recorder.handler",
        "HistoryApiFunction": "handlers.history_api.handler",
        "ApiKeyKeeperFunction": "handlers.api_key_keeper.handler",
        "SupplyIngressFunction": "handlers.supply_ingress.handler",
    }
    for name in ("HistoryRecorderFunction", "HistoryApiFunction"):
        assert functions[name].environment["HISTORY_RETENTION_DAYS"] == "30", name
        assert functions[name].environment["HISTORY_TABLE_NAME"], name  # the table's local name
    assert {f.code_dir for f in functions.values()} == {TEMPLATE.parent / "functions"}
    assert {f.runtime for f in functions.values()} == {"python3.13"}
    assert functions["ConfigurationApiFunction"].environment["EVENT_BUS_NAME"] == "vehicle-config"
    assert "TOKEN_AUDIENCE" not in functions["ConfigurationApiFunction"].environment
    assert functions["ApiKeyKeeperFunction"].environment["EVENTS_API_ID"] == stack.appsync_apis[0].api_id
    authorizer_env = functions["TokenAuthorizerFunction"].environment
    assert authorizer_env["JWKS_URL"] == f"{ISSUER}/.well-known/jwks.json"
    assert authorizer_env["TOKEN_ISSUER"] == ISSUER
    worker_dlq = str(functions["ValidationWorkerFunction"].dead_letter_arn)
    assert worker_dlq.startswith("arn:aws:sqs:us-east-1:000000000000:")
    ingress_env = functions["SupplyIngressFunction"].environment
    assert ingress_env["EVENT_BUS_NAME"] == "vehicle-config"
    assert ingress_env["REJECTED_QUEUE_URL"].endswith("/000000000000/RejectedNotificationQueue")
    assert str(functions["SupplyIngressFunction"].dead_letter_arn).endswith(":NotificationDeadLetterQueue")
    for function in functions.values():
        assert function.environment["POWERTOOLS_SERVICE_NAME"] == "vehicle-config-notifications"
        assert function.environment["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_bus_connection_and_api_destination_point_at_the_local_appsync(stack: LocalStack) -> None:
    assert stack.event_bus_name == "vehicle-config"
    (connection,) = calls(stack, "CreateConnection")
    assert connection["AuthParameters"]["ApiKeyAuthParameters"] == {
        "ApiKeyName": "x-api-key",
        "ApiKeyValue": "da2-project",
    }
    (destination,) = calls(stack, "CreateApiDestination")
    assert destination["InvocationEndpoint"] == "http://127.0.0.1:6020/event"
    assert destination["HttpMethod"] == "POST"


def test_notification_rules_have_patterns_and_transformers_to_the_api_destination(stack: LocalStack) -> None:
    destination_prefix = "arn:aws:events:us-east-1:000000000000:api-destination/"
    rules = {rule["Name"]: rule for rule in calls(stack, "PutRule")}
    targets = {request["Rule"]: request["Targets"] for request in calls(stack, "PutTargets")}
    notification_rules = [name for name, ts in targets.items() if ts[0]["Arn"].startswith(destination_prefix)]
    assert len(notification_rules) >= 3
    detail_types = set()
    for name in notification_rules:
        pattern = json.loads(rules[name]["EventPattern"])
        detail_types.update(pattern["detail-type"])
        for target in targets[name]:
            transformer = target["InputTransformer"]
            assert transformer["InputPathsMap"] and '"channel"' in transformer["InputTemplate"]
            assert target["DeadLetterConfig"]["Arn"].startswith("arn:aws:sqs:us-east-1:000000000000:")
    assert {"ConfigurationValidated", "SpecAdjustmentRecommended", "SupplyConstraintRaised"} <= detail_types
    worker_rules = [
        name for name, ts in targets.items() if ts[0]["Arn"].endswith(":function:ValidationWorkerFunction")
    ]
    assert len(worker_rules) == 1
    assert json.loads(rules[worker_rules[0]]["EventPattern"])["detail-type"] == ["ValidationRequested"]


def test_appsync_namespaces_and_authorizer_wiring(stack: LocalStack) -> None:
    (api,) = stack.appsync_apis
    assert {ns.name for ns in api.namespaces} == {"markets", "users", "plants", "requests"}
    provider = api.provider("AWS_LAMBDA")
    assert provider is not None and provider.lambda_authorizer is not None
    assert provider.lambda_authorizer.authorizer_uri.endswith(":function:TokenAuthorizerFunction")
    guard_sources = {source.name: source.function for source in api.data_sources}
    for name in ("markets", "users", "plants"):
        namespace = api.namespace(name)
        assert namespace is not None and namespace.on_subscribe is not None
        assert guard_sources[str(namespace.on_subscribe.data_source)].endswith(
            ":function:SubscribeGuardFunction"
        )
        assert namespace.on_publish is not None and namespace.on_publish.invoke_type == "EVENT"
        assert guard_sources[str(namespace.on_publish.data_source)].endswith(
            ":function:HistoryRecorderFunction"
        )
    (key,) = api.api_keys
    assert key.value == "da2-project"


def test_http_api_routes_require_the_jwt_authorizer(stack: LocalStack) -> None:
    (api,) = stack.http_apis
    routes = {route.route_key: route for route in api.routes}
    validate = routes["POST /configurations/validate"]
    assert validate.function == "ConfigurationApiFunction"
    authorizer = validate.authorizer
    assert authorizer is not None
    assert (authorizer.issuer, authorizer.audiences) == (ISSUER, ("vcn-local",))
    assert stack.outputs["EventsRealtimeEndpoint"] == "ws://127.0.0.1:6020/event/realtime"
