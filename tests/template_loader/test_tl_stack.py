"""Template loader: a SAM application -> functions, EventBridge calls, AppSync Events, HTTP API, outputs."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.templates import EVENTS_API, SAM_TRANSFORM, resource, template, write_template
from vcn.template import (
    LocalEndpoints,
    LocalStack,
    TemplateError,
    load_stack,
    parse_parameter_overrides,
    replay_eventbridge_calls,
)

FIXTURE = Path(__file__).parent / "fixtures" / "sam_app.yaml"
ENDPOINTS = LocalEndpoints(
    api_port=5000, eventbridge_port=5010, appsync_port=5020, api_key_value="da2-localkey"
)


def overrides(**extra: str) -> dict[str, str]:
    return {
        "TokenIssuer": "http://127.0.0.1:5000",
        "TokenAudience": "vcn-local",
        "JwksUrl": "http://127.0.0.1:5000/.well-known/jwks.json",
        "ApiKeyExpires": str(int(time.time()) + 86400),
        **extra,
    }


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    shutil.copy(FIXTURE, tmp_path / "template.yaml")
    (tmp_path / "functions" / "handlers").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def stack(app_dir: Path) -> LocalStack:
    return load_stack(app_dir / "template.yaml", endpoints=ENDPOINTS, parameter_overrides=overrides())


def calls_of(stack: LocalStack, operation: str) -> list[dict[str, Any]]:
    return [request for op, request in stack.eventbridge_calls if op == operation]


def test_functions_have_folder_handler_runtime_limits_and_merged_environment(
    stack: LocalStack, app_dir: Path
) -> None:
    functions = {f.name: f for f in stack.functions}
    assert set(functions) == {
        "ConfigurationApiFunction",
        "ValidationWorkerFunction",
        "TokenAuthorizerFunction",
        "SubscribeGuardFunction",
    }
    api = functions["ConfigurationApiFunction"]
    assert api.code_dir == (app_dir / "functions").resolve()
    assert api.handler == "handlers.configuration_api.handler"
    assert (api.runtime, api.architecture, api.timeout, api.memory) == ("python3.13", "arm64", 10, 128)
    assert api.environment == {
        "POWERTOOLS_SERVICE_NAME": "vehicle-config-notifications",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "EVENT_BUS_NAME": "vehicle-config",
        "TOKEN_AUDIENCE": "vcn-local",
    }
    assert api.arn == "arn:aws:lambda:us-east-1:000000000000:function:ConfigurationApiFunction"
    assert (
        functions["TokenAuthorizerFunction"].environment["JWKS_URL"]
        == "http://127.0.0.1:5000/.well-known/jwks.json"
    )
    assert stack.function("arn:aws:lambda:us-east-1:000000000000:function:SubscribeGuardFunction").name == (
        "SubscribeGuardFunction"
    )
    with pytest.raises(LookupError, match=r"functions: .*ConfigurationApiFunction"):
        stack.function("Nope")


def test_parameter_override_reaches_function_environment(app_dir: Path) -> None:
    stack = load_stack(app_dir / "template.yaml", parameter_overrides=overrides(LogLevel="DEBUG"))
    assert {f.environment["POWERTOOLS_LOG_LEVEL"] for f in stack.functions} == {"DEBUG"}


def test_eventbridge_calls_come_in_dependency_order(stack: LocalStack) -> None:
    operations = [op for op, _ in stack.eventbridge_calls]
    assert operations[:4] == ["CreateEventBus", "CreateArchive", "CreateConnection", "CreateApiDestination"]
    assert operations[4:] == ["PutRule", "PutTargets"] * 2
    assert calls_of(stack, "CreateEventBus") == [{"Name": "vehicle-config"}]
    assert stack.event_bus_name == "vehicle-config"


def test_an_archive_records_its_bus_by_arn_under_its_logical_id(stack: LocalStack) -> None:
    assert calls_of(stack, "CreateArchive") == [
        {
            "ArchiveName": "Archive",  # CloudFormation names it when ArchiveName is absent
            "EventSourceArn": "arn:aws:events:us-east-1:000000000000:event-bus/vehicle-config",
        }
    ]


def test_connection_carries_the_local_api_key_and_destination_points_at_local_appsync(
    stack: LocalStack,
) -> None:
    (connection,) = calls_of(stack, "CreateConnection")
    assert connection["AuthorizationType"] == "API_KEY"
    assert connection["AuthParameters"] == {
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "da2-localkey"}
    }
    (destination,) = calls_of(stack, "CreateApiDestination")
    assert destination["InvocationEndpoint"] == "http://127.0.0.1:5020/event"
    assert destination["HttpMethod"] == "POST"
    assert destination["InvocationRateLimitPerSecond"] == 300
    assert destination["ConnectionArn"].startswith(
        f"arn:aws:events:us-east-1:000000000000:connection/{connection['Name']}/"
    )


def test_rules_have_json_patterns_and_targets_as_the_api_expects(stack: LocalStack) -> None:
    rules = {r["Name"]: r for r in calls_of(stack, "PutRule")}
    targets = {t["Rule"]: t for t in calls_of(stack, "PutTargets")}
    markets = rules["MarketsRule"]
    assert markets["EventBusName"] == "vehicle-config" and markets["State"] == "ENABLED"
    assert json.loads(markets["EventPattern"]) == {
        "source": ["vehicle-config.validation"],
        "detail-type": ["ConfigurationValidated"],
    }
    (target,) = targets["MarketsRule"]["Targets"]
    destination = calls_of(stack, "CreateApiDestination")[0]
    assert target["Arn"].startswith(
        f"arn:aws:events:us-east-1:000000000000:api-destination/{destination['Name']}/"
    )
    assert target["InputTransformer"]["InputPathsMap"] == {"market": "$.detail.market"}
    assert target["InputTransformer"]["InputTemplate"].startswith('{"channel": "/markets/<market>"')
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 60}
    assert target["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:us-east-1:000000000000:DeliveryDlq"}
    assert target["RoleArn"] == "arn:aws:iam::000000000000:role/DestinationRole"
    # the SAM EventBridgeRule event becomes a rule targeting the function
    sam_rule = next(name for name in rules if name.startswith("ValidationWorkerFunction"))
    assert json.loads(rules[sam_rule]["EventPattern"])["detail-type"] == ["ValidationRequested"]
    (function_target,) = targets[sam_rule]["Targets"]
    assert function_target["Arn"] == "arn:aws:lambda:us-east-1:000000000000:function:ValidationWorkerFunction"
    assert function_target["RetryPolicy"] == {"MaximumRetryAttempts": 2}


def test_appsync_api_namespaces_keys_authorizer_and_data_source(stack: LocalStack) -> None:
    (api,) = stack.appsync_apis
    assert api.name == "vehicle-config-events"
    assert [ns.name for ns in api.namespaces] == ["markets", "users", "requests"]
    assert api.connection_auth_modes == ("API_KEY", "AWS_LAMBDA", "AWS_IAM")
    assert api.default_publish_auth_modes == ("API_KEY", "AWS_IAM")
    assert api.default_subscribe_auth_modes == ("AWS_LAMBDA",)
    lambda_provider = api.provider("AWS_LAMBDA")
    assert lambda_provider is not None and lambda_provider.lambda_authorizer is not None
    assert lambda_provider.lambda_authorizer.authorizer_uri.endswith(":function:TokenAuthorizerFunction")
    assert lambda_provider.lambda_authorizer.result_ttl_seconds == 60
    markets = api.namespace("markets")
    assert markets is not None and markets.on_subscribe is not None
    assert markets.on_subscribe.data_source == "SubscribeGuard"
    requests = api.namespace("requests")
    assert requests is not None and requests.subscribe_auth_modes == ("AWS_IAM",)
    (source,) = api.data_sources
    assert source.function == "arn:aws:lambda:us-east-1:000000000000:function:SubscribeGuardFunction"
    (key,) = api.api_keys
    assert key.value == "da2-localkey" and key.expires is not None and key.expires > time.time()


def test_http_api_routes_and_jwt_authorizer(stack: LocalStack) -> None:
    (api,) = stack.http_apis
    routes = {route.route_key: route for route in api.routes}
    assert set(routes) == {"POST /configurations/validate", "GET /health"}
    validate = routes["POST /configurations/validate"]
    assert validate.function == "ConfigurationApiFunction"
    assert validate.payload_format_version == "2.0"
    assert routes["GET /health"].authorizer is None
    authorizer = validate.authorizer
    assert authorizer is not None and authorizer.name == "Jwt"
    assert (authorizer.issuer, authorizer.audiences) == ("http://127.0.0.1:5000", ("vcn-local",))
    assert authorizer.identity_source == "$request.header.Authorization"
    assert api.stage == "$default"


def test_queues_outputs_and_unsupported_resources(stack: LocalStack) -> None:
    assert stack.queues == ["DeliveryDlq"]
    assert stack.outputs["ApiUrl"] == "http://127.0.0.1:5000"
    assert stack.outputs["EventsHttp"] == "http://127.0.0.1:5020/event"
    assert stack.outputs["Realtime"] == "ws://127.0.0.1:5020/event/realtime"
    unsupported = {item.logical_id: item.resource_type for item in stack.unsupported}
    assert unsupported["DestinationRole"] == "AWS::IAM::Role"
    assert "ConfigurationApiFunctionRole" in unsupported  # generated by the SAM transform
    assert not {"VehicleConfigBus", "MarketsRule", "EventsApi", "DeliveryDlq", "Alarm", "Archive"} & set(
        unsupported
    )
    summary = stack.unsupported_summary()
    assert "AWS::Events::Archive" not in summary
    assert "AWS::IAM::Role x5" in summary


def test_missing_required_parameter_says_how_to_pass_it(app_dir: Path) -> None:
    values = overrides()
    del values["TokenIssuer"]
    with pytest.raises(TemplateError) as info:
        load_stack(app_dir / "template.yaml", parameter_overrides=values)
    assert "parameter TokenIssuer has no Default and no value was given" in str(info.value)
    assert "--parameter-overrides TokenIssuer=<value>" in str(info.value)


def test_value_outside_allowed_values_is_rejected(app_dir: Path) -> None:
    with pytest.raises(
        TemplateError, match=r"Parameters.LogLevel: value 'LOUD' is not one of the AllowedValues"
    ):
        load_stack(app_dir / "template.yaml", parameter_overrides=overrides(LogLevel="LOUD"))


def test_number_parameter_must_be_a_number(app_dir: Path) -> None:
    with pytest.raises(TemplateError, match=r"Parameters.ApiKeyExpires: value 'soon' is not a number"):
        load_stack(app_dir / "template.yaml", parameter_overrides=overrides(ApiKeyExpires="soon"))


def test_expired_api_key_is_rejected_with_the_fix(app_dir: Path) -> None:
    with pytest.raises(TemplateError) as info:
        load_stack(app_dir / "template.yaml", parameter_overrides=overrides(ApiKeyExpires="1000"))
    assert info.value.resource == "EventsApiKey" and info.value.property == "Expires"
    assert "ApiKeyExpires=<epoch seconds>" in str(info.value)


def test_an_override_of_a_parameter_the_template_lacks_is_refused_as_cloudformation_does(
    app_dir: Path,
) -> None:
    with pytest.raises(TemplateError) as info:
        load_stack(app_dir / "template.yaml", parameter_overrides=overrides(LogLvl="DEBUG"))
    assert str(info.value).startswith("Parameters: [LogLvl] do not exist in the template; its parameters: ")
    assert "LogLevel" in str(info.value)


def test_local_defaults_for_parameters_the_template_lacks_are_noted_not_fatal(app_dir: Path) -> None:
    """An app profile's local values serve every template of the project: one need not declare them all."""
    stack = load_stack(
        app_dir / "template.yaml",
        parameter_overrides=overrides(LogLevel="DEBUG"),
        parameter_defaults={"LogLevel": "WARNING", "LogLvl": "DEBUG"},
    )
    assert stack.parameters["LogLevel"] == "DEBUG"  # the override wins over the default
    assert any("LogLvl" in note for note in stack.notes)
    defaulted = load_stack(
        app_dir / "template.yaml", parameter_overrides=overrides(), parameter_defaults={"LogLevel": "WARNING"}
    )
    assert defaulted.parameters["LogLevel"] == "WARNING"


def test_missing_code_folder_names_the_function(app_dir: Path) -> None:
    shutil.rmtree(app_dir / "functions")
    with pytest.raises(TemplateError) as info:
        load_stack(app_dir / "template.yaml", parameter_overrides=overrides())
    assert info.value.property == "CodeUri"
    assert info.value.resource in {
        "ConfigurationApiFunction",
        "ValidationWorkerFunction",
        "TokenAuthorizerFunction",
        "SubscribeGuardFunction",
    }
    assert "CodeUri folder 'functions/' does not exist" in str(info.value)


def sam_function(tmp_path: Path, properties: str) -> Path:
    """A SAM template of one function, Fn, with `properties` (YAML)."""
    return write_template(
        tmp_path, template(SAM_TRANSFORM, resource("Fn", "AWS::Serverless::Function", properties))
    )


def test_sam_transform_errors_are_reported(tmp_path: Path) -> None:
    path = sam_function(
        tmp_path, "{CodeUri: ., Runtime: python3.13, Handler: app.handler, Events: {E: {Type: Nope}}}"
    )
    with pytest.raises(TemplateError, match=r"the SAM transform rejected the template: .*\[Fn\]"):
        load_stack(path)


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (
            "{CodeUri: ., Runtime: nodejs20.x, Handler: app.handler}",
            "runtime 'nodejs20.x' is not supported locally",
        ),
        ("{InlineCode: 'x', Runtime: python3.13, Handler: index.handler}", "inline code"),
        (
            "{CodeUri: s3://bucket/key.zip, Runtime: python3.13, Handler: a.b}",
            "s3://bucket/key.zip cannot run locally",
        ),
        ("{CodeUri: ., Runtime: python3.13, Handler: nodot}", "Handler must be module.function"),
    ],
)
def test_functions_the_local_cloud_cannot_run(tmp_path: Path, properties: str, expected: str) -> None:
    path = sam_function(tmp_path, properties)
    with pytest.raises(TemplateError) as info:
        load_stack(path)
    assert info.value.resource == "Fn"
    assert expected in str(info.value)


def test_appsync_code_handlers_are_refused(tmp_path: Path) -> None:
    namespace = """
        Ns:
          Type: AWS::AppSync::ChannelNamespace
          Properties:
            ApiId: !GetAtt EventsApi.ApiId
            Name: ns
            CodeHandlers: "export function onPublish(ctx) {}"
    """
    path = write_template(tmp_path, template("", EVENTS_API, namespace))
    with pytest.raises(TemplateError, match="resource Ns, property CodeHandlers: APPSYNC_JS code handlers"):
        load_stack(path)


IAM_CONNECTIONS = """
EventsApi:
  Type: AWS::AppSync::Api
  Properties:
    Name: events
    EventConfig:
      AuthProviders: [{AuthType: API_KEY}]
      ConnectionAuthModes: [{AuthType: API_KEY}, {AuthType: AWS_IAM}]
"""
LAMBDA_PUBLISHERS = """
Ns:
  Type: AWS::AppSync::ChannelNamespace
  Properties: {ApiId: !GetAtt EventsApi.ApiId, Name: ns, PublishAuthModes: [{AuthType: AWS_LAMBDA}]}
"""


@pytest.mark.parametrize(
    ("resources", "refused"),
    [
        pytest.param((IAM_CONNECTIONS,), "EventsApi, property EventConfig.ConnectionAuthModes", id="api"),
        pytest.param((EVENTS_API, LAMBDA_PUBLISHERS), "Ns, property PublishAuthModes", id="namespace"),
    ],
)
def test_an_auth_mode_without_an_auth_provider_of_its_type_is_refused(
    tmp_path: Path, resources: tuple[str, ...], refused: str
) -> None:
    """A mode authorizes only through a provider of its type: without one, whatever it was to let in fails."""
    path = write_template(tmp_path, template("", *resources))
    with pytest.raises(TemplateError, match=f"resource {refused}: auth mode [A-Z_]+ has no AuthProvider"):
        load_stack(path)


def test_hand_written_http_api_routes_and_authorizer(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = write_template(
        tmp_path,
        """
        Resources:
          Fn:
            Type: AWS::Lambda::Function
            Properties: {Code: src, Runtime: python3.12, Handler: a.b, Role: r}
          Api:
            Type: AWS::ApiGatewayV2::Api
            Properties: {Name: api, ProtocolType: HTTP}
          Integration:
            Type: AWS::ApiGatewayV2::Integration
            Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn,
                         PayloadFormatVersion: "2.0"}
          Auth:
            Type: AWS::ApiGatewayV2::Authorizer
            Properties: {ApiId: !Ref Api, AuthorizerType: JWT, Name: jwt,
                         IdentitySource: [$request.header.Authorization],
                         JwtConfiguration: {Issuer: "https://issuer", Audience: [aud]}}
          Route:
            Type: AWS::ApiGatewayV2::Route
            Properties: {ApiId: !Ref Api, RouteKey: "GET /items/{id}",
                         Target: !Sub "integrations/${Integration}",
                         AuthorizationType: JWT, AuthorizerId: !Ref Auth}
        """,
    )
    stack = load_stack(path)
    assert stack.functions[0].code_dir == (tmp_path / "src").resolve()
    (api,) = stack.http_apis
    (route,) = api.routes
    assert (route.route_key, route.function) == ("GET /items/{id}", "Fn")
    authorizer = route.authorizer
    assert authorizer is not None and authorizer.name == "Auth"
    assert (authorizer.audiences, authorizer.issuer) == (("aud",), "https://issuer")
    assert {u.resource_type for u in stack.unsupported} == set()


def test_parse_parameter_overrides_accepts_sam_forms() -> None:
    assert parse_parameter_overrides('A=1 B="two words" ParameterKey=C,ParameterValue=x=y') == {
        "A": "1",
        "B": "two words",
        "C": "x=y",
    }
    assert parse_parameter_overrides(["A=1", "B=2"]) == {"A": "1", "B": "2"}
    assert parse_parameter_overrides(None) == {}
    with pytest.raises(TemplateError, match="is not Key=Value"):
        parse_parameter_overrides("JustAWord")


def test_replay_substitutes_the_arns_the_service_mints(stack: LocalStack) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    arn = "arn:aws:events:us-east-1:000000000000"

    async def service(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        received.append((operation, request))
        if operation == "CreateConnection":
            return {"ConnectionArn": f"{arn}:connection/{request['Name']}/minted-1"}
        if operation == "CreateApiDestination":
            return {"ApiDestinationArn": f"{arn}:api-destination/{request['Name']}/minted-2"}
        return {}

    asyncio.run(replay_eventbridge_calls(stack.eventbridge_calls, service))
    destination = next(r for op, r in received if op == "CreateApiDestination")
    assert destination["ConnectionArn"].endswith("/minted-1")
    markets_targets = next(r for op, r in received if op == "PutTargets" and r["Rule"] == "MarketsRule")
    assert markets_targets["Targets"][0]["Arn"].endswith("/minted-2")
    assert [op for op, _ in received] == [op for op, _ in stack.eventbridge_calls]


def test_sam_api_and_catch_all_http_api_events_and_rule_ids(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = write_template(
        tmp_path,
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Runtime: python3.13
              Handler: app.handler
              Events:
                Get: {Type: Api, Properties: {Path: "/items/{id}", Method: get}}
                Any: {Type: HttpApi}
          Rule:
            Type: AWS::Events::Rule
            Properties: {EventBusName: custom, EventPattern: {source: [a]}, State: DISABLED}
        Outputs:
          RuleRef: {Value: !Ref Rule}
          RuleArn: {Value: !GetAtt Rule.Arn}
          Rest: {Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/"}
        """,
    )
    stack = load_stack(path)
    apis = {api.kind: api for api in stack.http_apis}
    (catch_all,) = apis["HTTP"].routes
    assert (catch_all.route_key, catch_all.method, catch_all.function) == ("$default", "ANY", "Fn")
    (rest_route,) = apis["REST"].routes
    assert (rest_route.route_key, rest_route.payload_format_version) == ("GET /items/{id}", "1.0")
    assert apis["REST"].stage == "Prod"
    assert stack.outputs["RuleRef"] == "custom|Rule"  # AWS: Ref of a rule on a custom bus is bus|rule
    assert stack.outputs["RuleArn"] == "arn:aws:events:us-east-1:000000000000:rule/custom/Rule"
    assert stack.outputs["Rest"] == "http://127.0.0.1:4000/Prod/"
    assert calls_of(stack, "PutRule") == [
        {"Name": "Rule", "EventBusName": "custom", "State": "DISABLED", "EventPattern": '{"source":["a"]}'}
    ]
    assert stack.event_bus_name == "default"  # the template creates no bus of its own
