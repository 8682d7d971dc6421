"""Structural guarantees of template.yaml: contracts with the functions, safety nets, least privilege."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from handlers.settings import (
    ApiKeyKeeperSettings,
    AuthorizerSettings,
    ConfigurationApiSettings,
    HistoryApiSettings,
    HistoryRecorderSettings,
    SupplyIngressSettings,
    ValidationWorkerSettings,
    read_settings,
)

NOTIFICATION_RULES = (
    "ConfigurationValidatedRule",
    "ValidationReplyRule",
    "SpecAdjustmentRecommendedRule",
    "SupplyConstraintRule",
)
REJECTING_RULES = (
    "ConfigurationValidatedRejectedRule",
    "SpecAdjustmentRecommendedRejectedRule",
)
INGRESS_RULE = "SupplyIngressRule"

FUNCTIONS = {
    "ConfigurationApiFunction": (
        "handlers.configuration_api.handler",
        {"EVENT_BUS_NAME", "EVENTS_HTTP_URL", "EVENTS_REALTIME_URL"},
    ),
    # Never VALIDATION_FAULT_INJECTION: only a local test cloud turns it on, with --env-vars.
    "ValidationWorkerFunction": ("handlers.validation_worker.handler", {"EVENT_BUS_NAME"}),
    "TokenAuthorizerFunction": (
        "handlers.authorizer.handler",
        {"JWKS_URL", "TOKEN_ISSUER", "TOKEN_AUDIENCE"},
    ),
    "SubscribeGuardFunction": ("handlers.subscribe_guard.handler", set()),
    "HistoryRecorderFunction": (
        "handlers.history_recorder.handler",
        {"HISTORY_TABLE_NAME", "HISTORY_RETENTION_DAYS"},
    ),
    "HistoryApiFunction": ("handlers.history_api.handler", {"HISTORY_TABLE_NAME", "HISTORY_RETENTION_DAYS"}),
    "ApiKeyKeeperFunction": ("handlers.api_key_keeper.handler", {"EVENTS_API_ID"}),
    "SupplyIngressFunction": ("handlers.supply_ingress.handler", {"EVENT_BUS_NAME", "REJECTED_QUEUE_URL"}),
}

GLOBAL_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "vehicle-config-notifications",
    "POWERTOOLS_METRICS_NAMESPACE": "VehicleConfigNotifications",
    "POWERTOOLS_LOG_LEVEL": {"Ref": "LogLevel"},
}

GUARD_HANDLER = {
    "OnSubscribe": {
        "Behavior": "DIRECT",
        "Integration": {
            "DataSourceName": {"Fn::GetAtt": ["SubscribeGuardDataSource", "Name"]},
            "LambdaConfig": {"InvokeType": "REQUEST_RESPONSE"},
        },
    },
    # EVENT: AppSync invokes the recorder asynchronously and broadcasts the publish unchanged.
    "OnPublish": {
        "Behavior": "DIRECT",
        "Integration": {
            "DataSourceName": {"Fn::GetAtt": ["HistoryRecorderDataSource", "Name"]},
            "LambdaConfig": {"InvokeType": "EVENT"},
        },
    },
}

NAMESPACES = {
    # name: (subscribe modes, publish modes, handler configs)
    "markets": (["AWS_LAMBDA"], ["API_KEY", "AWS_IAM"], GUARD_HANDLER),
    "users": (["AWS_LAMBDA"], ["API_KEY", "AWS_IAM"], GUARD_HANDLER),
    "plants": (["AWS_LAMBDA"], ["API_KEY", "AWS_IAM"], GUARD_HANDLER),
    "requests": (["AWS_IAM"], ["API_KEY", "AWS_IAM"], None),
}


def of_type(resources: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == resource_type}


def walk(value: Any) -> Iterator[Any]:
    """Every node of a JSON-shaped value, depth first."""
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allow(action: str, resource: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    """The IAM statement allowing `action` on `resource`, under `condition` when one is given."""
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return statement if condition is None else {**statement, "Condition": condition}


def policy_statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource id, statement) for every IAM statement: roles, inline policies, resource policies."""
    for name, resource in resources.items():
        for node in walk(resource.get("Properties", {})):
            if isinstance(node, dict) and "Statement" in node:
                for statement in as_list(node["Statement"]):
                    if isinstance(statement, dict) and "Effect" in statement:
                        yield name, statement


def references(value: Any) -> set[str]:
    """Logical ids a value refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    for node in walk(value):
        if not isinstance(node, dict):
            continue
        if "Ref" in node:
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            found.add(node["Fn::GetAtt"][0])
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            for part in text.split("${")[1:]:
                found.add(part.split("}")[0].split(".")[0])
    return found


def test_functions_have_contract_handlers_and_environment(resources: dict[str, Any]) -> None:
    functions = of_type(resources, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTIONS)
    for name, (handler, environment) in FUNCTIONS.items():
        properties = functions[name]["Properties"]
        assert properties["Handler"] == handler, name
        own = properties.get("Environment", {}).get("Variables", {})
        assert set(own) == environment, name


def test_globals_set_runtime_architecture_tracing_code_and_powertools(template: dict[str, Any]) -> None:
    function_globals = template["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    assert function_globals["CodeUri"] == "functions/"
    assert function_globals["Environment"]["Variables"] == GLOBAL_ENVIRONMENT


def test_every_function_is_arm64_python313_with_active_tracing_after_expansion(
    expanded: dict[str, Any],
) -> None:
    functions = of_type(expanded["Resources"], "AWS::Lambda::Function")
    assert set(functions) == set(FUNCTIONS)
    for name, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.13", name
        assert properties["Architectures"] == ["arm64"], name
        assert properties["TracingConfig"] == {"Mode": "Active"}, name
        assert GLOBAL_ENVIRONMENT.items() <= properties["Environment"]["Variables"].items(), name


def test_required_parameters_have_no_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    for name in ("TokenIssuer", "TokenAudience", "JwksUrl"):
        assert "Default" not in parameters[name], name
    assert parameters["EventBusName"]["Default"] == "vehicle-config"
    assert parameters["LogRetentionDays"]["Default"] == 30
    assert parameters["AppSyncLogLevel"]["Default"] == "ERROR"
    assert parameters["ArchiveRetentionDays"]["Default"] == 7
    assert parameters["ApiDestinationRateLimit"]["Default"] == 300
    assert parameters["LogLevel"]["Default"] == "INFO"
    assert parameters["AlarmTopicArn"]["Default"] == ""


def test_the_api_key_takes_aws_default_lifetime_and_the_keeper_extends_it(template: dict[str, Any]) -> None:
    keys = of_type(template["Resources"], "AWS::AppSync::ApiKey")
    assert list(keys) == ["EventsApiKey"]
    # No Expires: a first deploy gets AWS's 7 days, and no deploy ever needs a computed value.
    assert "Expires" not in keys["EventsApiKey"]["Properties"]
    assert "ApiKeyExpires" not in template["Parameters"]
    keeper = template["Resources"]["ApiKeyKeeperFunction"]["Properties"]
    assert keeper["Environment"]["Variables"] == {"EVENTS_API_ID": {"Fn::GetAtt": ["EventsApi", "ApiId"]}}
    (schedule,) = keeper["Events"].values()
    assert schedule["Type"] == "Schedule" and schedule["Properties"]["Schedule"] == "rate(1 day)"


def test_no_output_reveals_the_api_key_or_the_connection(template: dict[str, Any]) -> None:
    secret_holders = set(of_type(template["Resources"], "AWS::AppSync::ApiKey")) | set(
        of_type(template["Resources"], "AWS::Events::Connection")
    )
    for name, output in template["Outputs"].items():
        assert not references(output) & secret_holders, f"output {name} exposes {references(output)}"


def test_outputs_name_the_endpoints_bus_and_http_api(template: dict[str, Any]) -> None:
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}
    assert outputs["EventsHttpEndpoint"] == {"Fn::Sub": "https://${EventsApi.Dns.Http}/event"}
    assert outputs["EventsRealtimeEndpoint"] == {"Fn::Sub": "wss://${EventsApi.Dns.Realtime}/event/realtime"}
    assert outputs["EventsApiId"] == {"Fn::GetAtt": ["EventsApi", "ApiId"]}
    assert outputs["EventBusName"] == {"Ref": "VehicleConfigBus"}
    assert "ConfigurationHttpApi" in references(outputs["ConfigurationApiUrl"])


def test_events_api_auth_providers_and_default_modes(resources: dict[str, Any]) -> None:
    config = resources["EventsApi"]["Properties"]["EventConfig"]
    providers = {p["AuthType"]: p for p in config["AuthProviders"]}
    assert set(providers) == {"API_KEY", "AWS_LAMBDA", "AWS_IAM"}
    lambda_config = providers["AWS_LAMBDA"]["LambdaAuthorizerConfig"]
    assert lambda_config["AuthorizerUri"] == {"Fn::GetAtt": ["TokenAuthorizerFunction", "Arn"]}
    assert 0 < lambda_config["AuthorizerResultTtlInSeconds"] <= 3600
    assert [m["AuthType"] for m in config["ConnectionAuthModes"]] == ["API_KEY", "AWS_LAMBDA", "AWS_IAM"]
    assert [m["AuthType"] for m in config["DefaultPublishAuthModes"]] == ["API_KEY", "AWS_IAM"]
    assert [m["AuthType"] for m in config["DefaultSubscribeAuthModes"]] == ["AWS_LAMBDA"]


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_namespace_auth_modes_and_subscribe_handler(resources: dict[str, Any], namespace: str) -> None:
    by_name = {
        r["Properties"]["Name"]: r["Properties"]
        for r in of_type(resources, "AWS::AppSync::ChannelNamespace").values()
    }
    assert set(by_name) == set(NAMESPACES)
    subscribe, publish, handlers = NAMESPACES[namespace]
    properties = by_name[namespace]
    assert properties["ApiId"] == {"Fn::GetAtt": ["EventsApi", "ApiId"]}
    assert [m["AuthType"] for m in properties["SubscribeAuthModes"]] == subscribe
    assert [m["AuthType"] for m in properties["PublishAuthModes"]] == publish
    assert properties.get("HandlerConfigs") == handlers


@pytest.mark.parametrize(
    ("source_id", "function"),
    [
        ("SubscribeGuardDataSource", "SubscribeGuardFunction"),
        ("HistoryRecorderDataSource", "HistoryRecorderFunction"),
    ],
)
def test_each_data_source_role_may_invoke_only_its_function(
    resources: dict[str, Any], source_id: str, function: str
) -> None:
    source = resources[source_id]["Properties"]
    assert source["Type"] == "AWS_LAMBDA"
    assert source["Name"].isalnum()
    assert source["LambdaConfig"]["LambdaFunctionArn"] == {"Fn::GetAtt": [function, "Arn"]}
    role_id = source["ServiceRoleArn"]["Fn::GetAtt"][0]
    role = resources[role_id]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "appsync.amazonaws.com"}]
    statements = [s for _, s in policy_statements({role_id: {"Properties": {"Policies": role["Policies"]}}})]
    assert statements == [allow("lambda:InvokeFunction", {"Fn::GetAtt": [function, "Arn"]})]


def test_appsync_may_invoke_the_authorizer_for_this_api_only(resources: dict[str, Any]) -> None:
    permissions = of_type(resources, "AWS::Lambda::Permission").values()
    by_appsync = [p for p in permissions if p["Properties"]["Principal"] == "appsync.amazonaws.com"]
    assert [p["Properties"] for p in by_appsync] == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": ["TokenAuthorizerFunction", "Arn"]},
            "Principal": "appsync.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": ["EventsApi", "ApiArn"]},
        }
    ]


def test_bus_has_an_archive_with_parameter_retention(resources: dict[str, Any]) -> None:
    assert resources["VehicleConfigBus"]["Properties"] == {"Name": {"Ref": "EventBusName"}}
    archive = resources["VehicleConfigArchive"]["Properties"]
    assert archive["SourceArn"] == {"Fn::GetAtt": ["VehicleConfigBus", "Arn"]}
    assert archive["RetentionDays"] == {"Ref": "ArchiveRetentionDays"}


def test_api_destination_posts_to_appsync_with_the_api_key_connection(resources: dict[str, Any]) -> None:
    connection = resources["AppSyncConnection"]["Properties"]
    assert connection["AuthorizationType"] == "API_KEY"
    assert connection["AuthParameters"]["ApiKeyAuthParameters"] == {
        "ApiKeyName": "x-api-key",
        "ApiKeyValue": {"Fn::GetAtt": ["EventsApiKey", "ApiKey"]},
    }
    destination = resources["AppSyncApiDestination"]["Properties"]
    assert destination["ConnectionArn"] == {"Fn::GetAtt": ["AppSyncConnection", "Arn"]}
    assert destination["InvocationEndpoint"] == {"Fn::Sub": "https://${EventsApi.Dns.Http}/event"}
    assert destination["HttpMethod"] == "POST"
    assert destination["InvocationRateLimitPerSecond"] == {"Ref": "ApiDestinationRateLimit"}


def test_api_destination_role_may_only_invoke_that_destination(resources: dict[str, Any]) -> None:
    role = resources["ApiDestinationInvokeRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "events.amazonaws.com"}]
    statements = [s for _, s in policy_statements({"role": {"Properties": {"Policies": role["Policies"]}}})]
    assert statements == [
        allow("events:InvokeApiDestination", {"Fn::GetAtt": ["AppSyncApiDestination", "ArnForPolicy"]})
    ]


def test_every_rule_target_on_the_bus_has_a_retry_policy_and_a_dead_letter_queue(
    expanded: dict[str, Any],
) -> None:
    rules = of_type(expanded["Resources"], "AWS::Events::Rule")
    schedule = rules.pop("ApiKeyKeeperFunctionDaily")
    assert "EventBusName" not in schedule["Properties"]  # schedules run on the default bus
    worker_rule = "ValidationWorkerFunctionValidationRequested"
    assert set(rules) == {*NOTIFICATION_RULES, *REJECTING_RULES, INGRESS_RULE, worker_rule}
    for name, rule in rules.items():
        assert rule["Properties"]["EventBusName"] == {"Ref": "VehicleConfigBus"}, name
        for target in rule["Properties"]["Targets"]:
            retry = target["RetryPolicy"]
            assert 0 < retry["MaximumRetryAttempts"] <= 185, (name, target["Id"])
            assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86400, (name, target["Id"])
            assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][1] == "Arn", (name, target["Id"])


def test_notification_rules_target_the_api_destination_through_the_invoke_role(
    resources: dict[str, Any],
) -> None:
    for name in NOTIFICATION_RULES:
        for target in resources[name]["Properties"]["Targets"]:
            assert target["Arn"] == {"Fn::GetAtt": ["AppSyncApiDestination", "Arn"]}, name
            assert target["RoleArn"] == {"Fn::GetAtt": ["ApiDestinationInvokeRole", "Arn"]}, name
            assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"]}


def test_the_worker_rule_routes_validation_requests_to_the_worker(expanded: dict[str, Any]) -> None:
    worker_rule = expanded["Resources"]["ValidationWorkerFunctionValidationRequested"]["Properties"]
    assert worker_rule["EventPattern"] == {
        "source": ["vehicle-config.validation"],
        "detail-type": ["ValidationRequested"],
    }
    assert [t["Arn"] for t in worker_rule["Targets"]] == [{"Fn::GetAtt": ["ValidationWorkerFunction", "Arn"]}]


def test_what_supply_systems_put_goes_to_the_ingress_and_only_its_checked_events_are_notified(
    resources: dict[str, Any],
) -> None:
    ingress_rule = resources[INGRESS_RULE]["Properties"]
    assert ingress_rule["EventPattern"] == {
        "source": ["vehicle-config.supply"],
        "detail-type": ["SupplyConstraintRaised", "SupplyConstraintCleared"],
    }
    assert [t["Arn"] for t in ingress_rule["Targets"]] == [{"Fn::GetAtt": ["SupplyIngressFunction", "Arn"]}]
    permission = resources["SupplyIngressInvokePermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": [INGRESS_RULE, "Arn"]}
    for name in (*NOTIFICATION_RULES, *REJECTING_RULES):
        assert "vehicle-config.supply" not in resources[name]["Properties"]["EventPattern"]["source"], name
    assert resources["SupplyConstraintRule"]["Properties"]["EventPattern"]["source"] == [
        "vehicle-config.supply.checked"
    ]
    # The archive keeps the checked events, not their raw form (a replay must not run the ingress again).
    archived = resources["VehicleConfigArchive"]["Properties"]["EventPattern"]
    assert archived == {"source": [{"anything-but": ["vehicle-config.supply"]}]}


def test_only_the_functions_that_emit_a_trusted_source_may_put_it(expanded: dict[str, Any]) -> None:
    policies = of_type(expanded["Resources"], "AWS::Events::EventBusPolicy")
    denied = {}
    for policy in policies.values():
        properties = policy["Properties"]
        assert properties["EventBusName"] == {"Ref": "VehicleConfigBus"}
        statement = properties["Statement"]
        assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
            "Deny",
            "*",
            "events:PutEvents",
        )
        source = statement["Condition"]["StringEquals"]["events:source"]
        exempt = statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        denied[source] = sorted(arn["Fn::GetAtt"][0] for arn in exempt)
    assert denied == {
        "vehicle-config.validation": ["ConfigurationApiFunctionRole", "ValidationWorkerFunctionRole"],
        "vehicle-config.supply.checked": ["SupplyIngressFunctionRole"],
    }


def test_queues_are_encrypted_kept_on_deletion_and_admit_only_the_rules_that_use_them(
    expanded: dict[str, Any],
) -> None:
    resources = expanded["Resources"]
    every_queue = of_type(resources, "AWS::SQS::Queue")
    assert set(every_queue) == {
        "NotificationDeadLetterQueue",
        "ValidationDeadLetterQueue",
        "HistoryRecorderFailureQueue",
        "RejectedNotificationQueue",
    }
    # The recorder's failure queue is a Lambda destination: its role sends, no queue policy admits anyone.
    queues = {name: q for name, q in every_queue.items() if name != "HistoryRecorderFailureQueue"}
    assert every_queue["HistoryRecorderFailureQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    policies = {
        p["Properties"]["Queues"][0]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
        for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
    }
    assert set(policies) == set(queues)
    for queue in queues:
        assert queues[queue]["Properties"]["SqsManagedSseEnabled"] is True, queue
        # They hold undelivered messages: a stack deletion or replacement must not take them along.
        assert queues[queue]["DeletionPolicy"] == queues[queue]["UpdateReplacePolicy"] == "Retain", queue
        arn = {"Fn::GetAtt": [queue, "Arn"]}
        users = [
            name
            for name, rule in of_type(resources, "AWS::Events::Rule").items()
            if any(
                t.get("DeadLetterConfig", {}).get("Arn") == arn or t["Arn"] == arn
                for t in rule["Properties"]["Targets"]
            )
        ]
        assert users, f"no rule uses {queue}"
        (statement,) = policies[queue]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == arn
        admitted = as_list(statement["Condition"]["ArnEquals"]["aws:SourceArn"])
        assert sorted(admitted, key=json.dumps) == sorted(
            ({"Fn::GetAtt": [name, "Arn"]} for name in users), key=json.dumps
        )


def test_no_iam_statement_uses_a_wildcard_action(expanded: dict[str, Any]) -> None:
    statements = list(policy_statements(expanded["Resources"]))
    assert len(statements) >= 12  # guards against the walker silently finding nothing
    for name, statement in statements:
        assert "NotAction" not in statement, name
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{name}: {action}"


def test_producers_may_put_events_only_on_the_bus(expanded: dict[str, Any]) -> None:
    resources = expanded["Resources"]
    for function in ("ConfigurationApiFunction", "ValidationWorkerFunction"):
        statements = [s for _, s in policy_statements({function: resources[f"{function}Role"]})]
        put_events = [s for s in statements if "events:PutEvents" in as_list(s["Action"])]
        on_the_bus = allow("events:PutEvents", {"Fn::GetAtt": ["VehicleConfigBus", "Arn"]})
        assert put_events == [on_the_bus], function
    ingress = [s for _, s in policy_statements({"i": resources["SupplyIngressFunctionRole"]})]
    assert [s for s in ingress if "events:PutEvents" in as_list(s["Action"])] == [
        allow(
            "events:PutEvents",
            {"Fn::GetAtt": ["VehicleConfigBus", "Arn"]},
            condition={"StringEquals": {"events:source": "vehicle-config.supply.checked"}},
        )
    ]
    for function in ("TokenAuthorizerFunction", "SubscribeGuardFunction"):
        assert "Policies" not in resources[f"{function}Role"]["Properties"], function


def test_appsync_permissions_are_the_request_replies_and_the_key_keeper_only(
    expanded: dict[str, Any],
) -> None:
    appsync = [
        (name, statement)
        for name, statement in policy_statements(expanded["Resources"])
        if any(action.startswith("appsync:") for action in as_list(statement["Action"]))
    ]
    assert appsync == [
        (
            "ConfigurationApiFunctionRole",
            allow("appsync:EventConnect", {"Fn::GetAtt": ["EventsApi", "ApiArn"]}),
        ),
        (
            "ConfigurationApiFunctionRole",
            allow("appsync:EventSubscribe", {"Fn::Sub": "${EventsApi.ApiArn}/channelNamespace/requests"}),
        ),
        (
            "ApiKeyKeeperFunctionRole",
            allow("appsync:ListApiKeys", {"Fn::GetAtt": ["EventsApi", "ApiArn"]}),
        ),
        (
            "ApiKeyKeeperFunctionRole",
            # arn:aws:appsync:<region>:<account>:apis/<apiId>/apikeys/*: this API's keys, nothing else
            allow("appsync:UpdateApiKey", {"Fn::Sub": "${EventsApi.ApiArn}/apikeys/*"}),
        ),
    ]


def test_the_configuration_api_reaches_the_events_api_endpoints_and_outlives_the_longest_wait(
    resources: dict[str, Any], template: dict[str, Any]
) -> None:
    properties = resources["ConfigurationApiFunction"]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables["EVENTS_HTTP_URL"] == {"Fn::Sub": "https://${EventsApi.Dns.Http}/event"}
    assert variables["EVENTS_REALTIME_URL"] == {"Fn::Sub": "wss://${EventsApi.Dns.Realtime}/event/realtime"}
    # The longest wait (25 s) plus headroom fits in the function, which fits in the HTTP API's 30 s.
    assert 25 < properties["Timeout"] < 30


@pytest.mark.parametrize(
    ("function", "settings"),
    [
        ("ConfigurationApiFunction", ConfigurationApiSettings),
        ("ValidationWorkerFunction", ValidationWorkerSettings),
        ("TokenAuthorizerFunction", AuthorizerSettings),
        ("HistoryRecorderFunction", HistoryRecorderSettings),
        ("HistoryApiFunction", HistoryApiSettings),
        ("ApiKeyKeeperFunction", ApiKeyKeeperSettings),
        ("SupplyIngressFunction", SupplyIngressSettings),
    ],
)
def test_the_template_sets_every_variable_the_functions_settings_require(
    template: dict[str, Any], function: str, settings: type[Any]
) -> None:
    variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
    parameters = template["Parameters"]

    def deployed(value: Any) -> str:
        # A parameter's default is what a deployment gets; other intrinsics resolve at deploy time, where
        # any non-empty value proves the variable is there.
        if isinstance(value, dict) and "Default" in parameters.get(value.get("Ref", ""), {}):
            return str(parameters[value["Ref"]]["Default"])
        return "set-by-the-template"

    read_settings(settings, {name: deployed(value) for name, value in variables.items()})


def test_http_api_uses_the_jwt_authorizer_by_default_on_every_route(resources: dict[str, Any]) -> None:
    auth = resources["ConfigurationHttpApi"]["Properties"]["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert authorizer["JwtConfiguration"] == {
        "issuer": {"Ref": "TokenIssuer"},
        "audience": [{"Ref": "TokenAudience"}],
    }
    events = [
        event
        for function in ("ConfigurationApiFunction", "HistoryApiFunction")
        for event in resources[function]["Properties"]["Events"].values()
    ]
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events if e["Type"] == "HttpApi"}
    assert routes == {
        ("POST", "/configurations/validate"),
        ("POST", "/configurations/batches"),
        ("POST", "/validations"),
        ("GET", "/notifications"),
        ("POST", "/notifications/read"),
        ("GET", "/notifications/unread-count"),
    }
    for event in events:
        assert event["Properties"]["ApiId"] == {"Ref": "ConfigurationHttpApi"}
        assert "Auth" not in event["Properties"]  # no route opts out of the default authorizer


def test_alarm_actions_depend_on_a_non_empty_topic(template: dict[str, Any]) -> None:
    assert template["Conditions"]["HasAlarmTopic"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]
    }
