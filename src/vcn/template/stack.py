"""`load_stack`: template.yaml -> `LocalStack` (parse, SAM transform, parameters, conditions, resolution)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vcn.arns import DEFAULT_BUS
from vcn.aws_account import LOCAL_ACCOUNT, LocalAccount

from .alarms import extract_alarms
from .appsync_apis import extract_appsync_apis
from .dynamodb_tables import extract_dynamodb_tables
from .errors import Location, TemplateError
from .event_invoke_configs import apply_event_invoke_configs
from .eventbridge_calls import extract_eventbridge_calls
from .functions import extract_functions
from .http_apis import extract_http_apis
from .intrinsics import Resolver, pseudo_parameters
from .model import LOCAL_STACK_NAME, LocalEndpoints, LocalStack, UnsupportedResource
from .parameters import resolve_parameters
from .sam import translate
from .schedules import extract_schedules
from .view import TemplateView
from .yaml_loader import load_template_file

# Resource types the local cloud runs (or that only describe something it runs, like an API's stage)
EMULATED_TYPES = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::Events::EventBus",
        "AWS::Events::Rule",
        "AWS::Events::Connection",
        "AWS::Events::ApiDestination",
        "AWS::Events::Archive",
        "AWS::Scheduler::Schedule",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::AppSync::Api",
        "AWS::AppSync::ChannelNamespace",
        "AWS::AppSync::ApiKey",
        "AWS::AppSync::DataSource",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Authorizer",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
        "AWS::ApiGateway::Deployment",
        "AWS::SQS::Queue",
        "AWS::CloudWatch::Alarm",
        "AWS::DynamoDB::Table",
        "AWS::Lambda::EventInvokeConfig",
    }
)

_EFFECTS = {
    "AWS::IAM::": "no IAM checks locally",
    "AWS::Lambda::Permission": "every caller may invoke locally",
    "AWS::Lambda::Version": "functions run as $LATEST",
    "AWS::Lambda::Alias": "functions run as $LATEST",
    "AWS::Lambda::LayerVersion": "layers are not loaded; install their packages locally",
    "AWS::Events::EventBusPolicy": "no bus policies locally",
    "AWS::CloudWatch::": "no dashboards locally; `vcn metrics` shows the metrics, `vcn alarms` the alarms",
    "AWS::Logs::": "logs go to the terminal",
    "AWS::SQS::QueuePolicy": "no queue policies locally",
    "AWS::SNS::": "no SNS locally",
}


def _effect(resource_type: str) -> str:
    for prefix, effect in _EFFECTS.items():
        if resource_type.startswith(prefix):
            return effect
    return "not emulated by the local cloud"


def _output_text(value: Any, at: Location) -> str:
    if isinstance(value, list):
        return ",".join(_output_text(v, at) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise at.error(f"an output value must be a string or a list, got {value!r}")


def _local_rewrites(resolver: Resolver, endpoints: LocalEndpoints, http_api_ids: list[str]) -> None:
    host = re.escape(endpoints.host)
    ports = "|".join(str(p) for p in endpoints.plain_ports)
    # https:// / wss:// URLs of local plain-HTTP services (e.g. `https://${Api.Dns.Http}/event`) -> http:// / ws://
    resolver.add_local_rewrite(re.compile(rf"\bhttps://({host}:(?:{ports}))(?![0-9])"), r"http://\1")
    resolver.add_local_rewrite(re.compile(rf"\bwss://({host}:(?:{ports}))(?![0-9])"), r"ws://\1")
    if http_api_ids:
        ids = "|".join(re.escape(i) for i in http_api_ids)
        region = re.escape(resolver.region)
        # `https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}` -> the local API port
        resolver.add_local_rewrite(
            re.compile(rf"https://(?:{ids})\.execute-api\.{region}\.amazonaws\.com(?:/\$default)?"),
            endpoints.api_url,
        )


TABLE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"})


def declares_tables(template_path: str | Path) -> bool:
    """Whether the template has DynamoDB tables, read without resolving it (so the local DynamoDB can start
    while `load_stack` runs); a table whose Condition turns out false is found out by `load_stack`."""
    try:
        resources = load_template_file(Path(template_path).resolve()).get("Resources") or {}
    except TemplateError:
        return False  # load_stack reports it
    return any(isinstance(r, dict) and r.get("Type") in TABLE_TYPES for r in resources.values())


def load_stack(
    template_path: str | Path,
    *,
    endpoints: LocalEndpoints | None = None,
    parameter_overrides: Mapping[str, str] | None = None,
    account: LocalAccount = LOCAL_ACCOUNT,
    stack_name: str = LOCAL_STACK_NAME,
    parameter_defaults: Mapping[str, str] | None = None,
) -> LocalStack:
    """Read a SAM/CloudFormation template and resolve all the local cloud runs; raises TemplateError.

    `parameter_overrides` (the user's) must name declared parameters; `parameter_defaults` (an app
    profile's values for local runs) apply to the ones the template declares and yield to the overrides."""
    path = Path(template_path).resolve()
    endpoints = endpoints or LocalEndpoints()
    notes: list[str] = []
    source = load_template_file(path)
    parameters = resolve_parameters(
        source.get("Parameters") or {}, dict(parameter_overrides or {}), notes, parameter_defaults
    )

    for key in source["Resources"]:
        if key.startswith("Fn::ForEach"):
            raise TemplateError(
                "Fn::ForEach (AWS::LanguageExtensions) is not supported locally", resource=key
            )
    region, account_id = account.region, account.account_id
    pseudo = pseudo_parameters(region=region, account=account_id, stack_name=stack_name)
    template, locations = translate(source, parameters, path.parent, region=region, pseudo_parameters=pseudo)
    resources_section = template.get("Resources") or {}
    resolver = Resolver(
        template, parameters, endpoints, region=region, account=account_id, stack_name=stack_name
    )
    resources = resolver.resources

    # template order first (SAM reorders resources), generated resources after
    source_order = {lid: index for index, lid in enumerate(source["Resources"])}
    ordered = sorted(resources_section, key=lambda lid: source_order.get(lid, len(source_order)))
    active = [lid for lid in ordered if resources.is_active(lid)]

    def by_type(resource_type: str) -> list[str]:
        return [lid for lid in active if resources.type_of(lid) == resource_type]

    http_api_ids = [
        resources.http_api_id(lid)
        for lid in by_type("AWS::ApiGatewayV2::Api") + by_type("AWS::ApiGateway::RestApi")
    ]
    _local_rewrites(resolver, endpoints, http_api_ids)

    stack = LocalStack(template_path=path, parameters=dict(parameters), notes=notes)
    stack.view = TemplateView(
        resources,
        order=active,
        source_ids=list(source["Resources"]),
        outputs=template.get("Outputs") or {},
        parameters=dict(parameters),
        parameter_declarations=source.get("Parameters") or {},
    )
    stack.functions = apply_event_invoke_configs(
        resources,
        by_type,
        extract_functions(
            resolver, resources, by_type("AWS::Lambda::Function"), locations, path.parent, notes
        ),
        notes,
    )
    stack.eventbridge_calls = extract_eventbridge_calls(resources, by_type)
    stack.appsync_apis = extract_appsync_apis(resolver, resources, by_type, notes)
    stack.http_apis = extract_http_apis(resources, by_type, notes)
    stack.dynamodb_tables = extract_dynamodb_tables(resources, by_type, notes)
    stack.queues = [resources.name(lid, "QueueName") for lid in by_type("AWS::SQS::Queue")]
    stack.alarms = extract_alarms(resources, by_type, notes)
    stack.schedules = extract_schedules(resources, by_type)
    buses = [
        request["Name"] for operation, request in stack.eventbridge_calls if operation == "CreateEventBus"
    ]
    stack.event_bus_name = buses[0] if buses else DEFAULT_BUS
    if len(buses) > 1:
        notes.append(
            f"several event buses ({', '.join(buses)}); {buses[0]} is reported as the template's bus"
        )
    stack.unsupported = [
        UnsupportedResource(lid, resources.type_of(lid), _effect(resources.type_of(lid)))
        for lid in active
        if resources.type_of(lid) not in EMULATED_TYPES
    ]
    for name, output in (template.get("Outputs") or {}).items():
        at = Location(f"Outputs.{name}", ("Value",))
        if not isinstance(output, dict) or "Value" not in output:
            raise at.error("an output needs a Value")
        condition = output.get("Condition")
        if isinstance(condition, str) and not resolver.condition(condition, at):
            continue
        value = resolver.resolve_optional(output["Value"], at)
        if value is not None:
            stack.outputs[name] = _output_text(value, at)
    return stack
