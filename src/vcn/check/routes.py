"""The template's delivery paths: every rule with its targets, as the local EventBridge builds them.

The template's EventBridge calls are replayed into a control plane of the local EventBridge (no state folder,
nothing listens), so patterns and input transformers are validated and compiled by the engine that runs them
locally. Each rule and target is tied back to its logical id, and each API destination that calls an AppSync
Events API's publish endpoint to that API and to the auth modes its connection's credentials can satisfy; any
other API destination to what it calls instead (`publish_endpoint`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vcn import arns
from vcn.appsync.config import AuthType, EventApiConfig
from vcn.aws_account import LOCAL_ACCOUNT, LocalAccount
from vcn.check.publish_endpoint import OtherDestination, judge_endpoint
from vcn.eventbridge.control_plane import ControlPlane
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.model import Connection, Rule, Target
from vcn.eventbridge.operations import operation_table
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.template import LocalStack, replay_eventbridge_calls
from vcn.template.view import TemplateView

API_KEY_HEADER = "x-api-key"
# What AppSync Events accepts in an `Authorization` header: a Lambda authorizer's token, an OIDC or a Cognito
# user pool JWT. EventBridge connections can put a bearer token there (OAuth) or any header value (API_KEY).
TOKEN_MODES: frozenset[AuthType] = frozenset({"AWS_LAMBDA", "OPENID_CONNECT", "AMAZON_COGNITO_USER_POOLS"})


class TemplateRefused(Exception):
    """The local EventBridge refused one of the template's resources."""

    def __init__(self, resource: str, message: str) -> None:
        super().__init__(message)
        self.resource = resource


@dataclass(frozen=True)
class AppSyncDestination:
    """An API destination that publishes to an AppSync Events API's HTTP endpoint."""

    destination: str  # logical id of the AWS::Events::ApiDestination
    connection: str  # logical id of the AWS::Events::Connection
    api: EventApiConfig
    api_resource: str  # logical id of the AWS::AppSync::Api
    modes: frozenset[AuthType]  # the publish auth modes the connection's credentials can satisfy
    carries_api_key_of_api: bool  # an API_KEY mode is real only with one of this API's keys
    rate_limit_per_second: int


@dataclass(frozen=True)
class TargetRoute:
    target: Target
    kind: str  # "appsync", "api-destination", "lambda", "sqs" or "other"
    destination: str | None = None  # logical id of the API destination, for API-destination targets
    appsync: AppSyncDestination | None = None
    other: OtherDestination | None = None  # an API destination that calls no AppSync publish endpoint

    @property
    def is_api_destination(self) -> bool:
        return self.kind in ("appsync", "api-destination")

    @property
    def queue(self) -> str | None:
        """The queue's name, for a target that is an SQS queue."""
        return arns.Arn.parse(self.target.arn).resource if self.kind == "sqs" else None


@dataclass(frozen=True)
class RuleRoute:
    logical_id: str
    rule: Rule
    targets: tuple[TargetRoute, ...]

    @property
    def bus(self) -> str:
        return self.rule.bus


@dataclass(frozen=True)
class Routes:
    rules: tuple[RuleRoute, ...]
    control_plane: ControlPlane
    bus_resources: Mapping[str, str]  # bus name -> logical id

    def on_bus(self, bus: str) -> list[RuleRoute]:
        """Enabled rules with an event pattern on `bus`."""
        return [r for r in self.rules if r.bus == bus and r.rule.enabled and r.rule.pattern is not None]


def build_routes(stack: LocalStack, view: TemplateView, account: LocalAccount = LOCAL_ACCOUNT) -> Routes:
    """Replay the template into a local EventBridge control plane; raises TemplateRefused."""
    control_plane = ControlPlane(account.account_id, account.region, EventBridgeSettings())
    operations = operation_table(control_plane.operations())
    names = _resource_names(view)

    async def call(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            result = operations[operation](request)
            # some operations (archives, replays) answer asynchronously
            return await result if inspect.isawaitable(result) else result
        except EventBridgeError as exc:
            raise TemplateRefused(_resource_of(operation, request, names), str(exc)) from None

    # The replay logs what it cannot run locally (schedules, queue targets): irrelevant to a static check.
    quiet = logging.getLogger("vcn.eventbridge")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        asyncio.run(replay_eventbridge_calls(stack.eventbridge_calls, call))
    finally:
        quiet.setLevel(level)
    apis = {api.api_id: api for api in stack.appsync_apis}
    destinations = {
        destination.arn: _appsync_destination(control_plane, view, names, apis, destination.name)
        for destination in control_plane.resources.api_destinations.values()
    }
    rules = []
    for bus_name in control_plane.bus_names():
        bus = control_plane.bus(bus_name)
        for rule in bus.rules.values() if bus is not None else ():
            targets = tuple(_target_route(target, destinations, names) for target in rule.targets.values())
            lid = names.get(("AWS::Events::Rule", f"{bus_name}/{rule.name}"), rule.name)
            rules.append(RuleRoute(lid, rule, targets))
    buses = {name: lid for (rtype, name), lid in names.items() if rtype == "AWS::Events::EventBus"}
    return Routes(tuple(rules), control_plane, buses)


Names = dict[tuple[str, str], str]  # (resource type, physical name) -> logical id


def _resource_names(view: TemplateView) -> Names:
    names: Names = {}
    for lid in view.logical_ids(
        "AWS::Events::EventBus", "AWS::Events::Connection", "AWS::Events::ApiDestination"
    ):
        names[(view.type_of(lid), view.name(lid, "Name"))] = lid
    for lid in view.logical_ids("AWS::Events::Rule"):
        bus = arns.bus_name(view.resolve(view.raw(lid).get("EventBusName"), lid, "EventBusName"))
        names[("AWS::Events::Rule", f"{bus}/{view.name(lid, 'Name')}")] = lid
    return names


def _resource_of(operation: str, request: Mapping[str, Any], names: Names) -> str:
    """The logical id behind a replayed request (for the report), or the name it carries."""
    bus = arns.bus_name(request.get("EventBusName"))
    keys = {
        "CreateEventBus": ("AWS::Events::EventBus", str(request.get("Name"))),
        "CreateConnection": ("AWS::Events::Connection", str(request.get("Name"))),
        "CreateApiDestination": ("AWS::Events::ApiDestination", str(request.get("Name"))),
        "PutRule": ("AWS::Events::Rule", f"{bus}/{request.get('Name')}"),
        "PutTargets": ("AWS::Events::Rule", f"{bus}/{request.get('Rule')}"),
    }
    key = keys.get(operation)
    return names.get(key, key[1]) if key else operation


def _target_route(
    target: Target, destinations: Mapping[str, AppSyncDestination | OtherDestination | None], names: Names
) -> TargetRoute:
    if target.arn in destinations:
        found = destinations[target.arn]
        if isinstance(found, AppSyncDestination):
            return TargetRoute(target, "appsync", found.destination, found)
        if isinstance(found, OtherDestination):
            return TargetRoute(target, "api-destination", found.destination, other=found)
        return TargetRoute(target, "api-destination")
    if arns.is_lambda_function(target.arn):
        return TargetRoute(target, "lambda")
    if target.arn.startswith("arn:") and arns.Arn.parse(target.arn).service == "sqs":
        return TargetRoute(target, "sqs")
    return TargetRoute(target, "other")


def _appsync_destination(
    control_plane: ControlPlane,
    view: TemplateView,
    names: Names,
    apis: Mapping[str, EventApiConfig],
    destination_name: str,
) -> AppSyncDestination | OtherDestination | None:
    """The AppSync API an API destination publishes to, or what it calls instead."""
    lid = names.get(("AWS::Events::ApiDestination", destination_name))
    destination = control_plane.resources.api_destinations[destination_name]
    found = control_plane.api_destination_for(destination.arn)
    if lid is None:
        return None
    if found is None:
        return OtherDestination(lid, destination.invocation_endpoint)
    _, connection = found
    judged = judge_endpoint(view, lid, destination.invocation_endpoint, destination.http_method)
    if judged.api is None:
        return judged.other
    api = apis.get(str(view.resolve({"Fn::GetAtt": [judged.api, "ApiId"]}, lid)))
    if api is None:
        return OtherDestination(lid, destination.invocation_endpoint)
    keys = {key.value for key in api.api_keys}
    return AppSyncDestination(
        destination=lid,
        connection=names.get(("AWS::Events::Connection", connection.name), connection.name),
        api=api,
        api_resource=judged.api,
        modes=connection_modes(connection),
        carries_api_key_of_api=_api_key_value(connection) in keys,
        rate_limit_per_second=destination.rate_limit_per_second,
    )


def connection_modes(connection: Connection) -> frozenset[AuthType]:
    """The AppSync Events auth modes a request with this connection's credentials can satisfy."""
    kind = connection.authorization_type
    if kind == "API_KEY":
        header = str(connection.auth_parameters.get("ApiKeyAuthParameters", {}).get("ApiKeyName", "")).lower()
        if header == API_KEY_HEADER:
            return frozenset({"API_KEY"})
        return TOKEN_MODES if header == "authorization" else frozenset()
    if kind == "OAUTH_CLIENT_CREDENTIALS":
        return TOKEN_MODES
    # BASIC sends `Authorization: Basic ...`: only a Lambda authorizer could accept it.
    return frozenset({"AWS_LAMBDA"}) if kind == "BASIC" else frozenset()


def _api_key_value(connection: Connection) -> str | None:
    value = connection.auth_parameters.get("ApiKeyAuthParameters", {}).get("ApiKeyValue")
    return value if isinstance(value, str) else None
