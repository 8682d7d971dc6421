"""The control plane of the local EventBridge: event buses, rules (compiled patterns in each bus's rule
index), targets, connections and API destinations, with AWS's validation messages and response shapes."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.arns import api_destination_arn, connection_arn, connection_secret_arn, event_bus_arn
from vcn.eventbridge.connections import (
    AUTH_MEMBER,
    DEFAULT_RATE_LIMIT,
    HTTP_METHODS,
    check_auth_parameters,
    check_endpoint,
    describe_connection,
)
from vcn.eventbridge.errors import (
    EventBridgeError,
    already_exists,
    limit_exceeded,
    not_found,
    validation_error,
)
from vcn.eventbridge.model import (
    DISABLED,
    ENABLED,
    ApiDestination,
    Connection,
    EventBus,
    LambdaTarget,
    Rule,
    Target,
)
from vcn.eventbridge.params import (
    optional_int,
    optional_list,
    optional_map,
    optional_str,
    required_str,
    resource_name,
)
from vcn.eventbridge.patterns import EventPattern, InvalidEventPattern, compile_pattern
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.eventbridge.targets import parse_target

log = logging.getLogger("vcn.eventbridge")

MAX_PATTERN_CHARS = 4096
RULE_STATES = (ENABLED, DISABLED, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
Operation = Callable[[Mapping[str, Any]], dict[str, Any]]


def _page(items: list[Any], request: Mapping[str, Any]) -> tuple[list[Any], str | None]:
    """Limit / NextToken pagination over an already ordered list (the token is an offset)."""
    token = optional_str(request, "NextToken")
    limit = optional_int(request, "Limit")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise validation_error(
            "The NextToken is not valid; pass the NextToken of the previous page."
        ) from None
    end = len(items) if not limit or limit < 1 else start + limit
    return items[start:end], (str(end) if end < len(items) else None)


def compile_event_pattern(pattern: Any) -> EventPattern:
    """A compiled pattern, or InvalidEventPatternException with AWS's message."""
    if pattern is None:
        raise validation_error(
            "1 validation error detected: Value null at 'eventPattern' failed to satisfy constraint: "
            "Member must not be null"
        )
    try:
        return compile_pattern(pattern)
    except InvalidEventPattern as exc:
        raise EventBridgeError("InvalidEventPatternException", str(exc)) from None


class ControlPlane:
    """The resources of one account and region, and the API operations that manage them."""

    def __init__(self, account: str, region: str, settings: EventBridgeSettings) -> None:
        self.account = account
        self.region = region
        self.settings = settings
        self._buses: dict[str, EventBus] = {}
        self._connections: dict[str, Connection] = {}
        self._api_destinations: dict[str, ApiDestination] = {}
        self._add_bus(arns.DEFAULT_BUS, None)

    def operations(self) -> dict[str, Operation]:
        return {
            "CreateEventBus": self._create_event_bus,
            "DescribeEventBus": self._describe_event_bus,
            "ListEventBuses": self._list_event_buses,
            "PutRule": self._put_rule,
            "DescribeRule": self._describe_rule,
            "ListRules": self._list_rules,
            "DeleteRule": self._delete_rule,
            "EnableRule": lambda request: self._set_state(request, ENABLED),
            "DisableRule": lambda request: self._set_state(request, DISABLED),
            "PutTargets": self._put_targets,
            "RemoveTargets": self._remove_targets,
            "ListTargetsByRule": self._list_targets_by_rule,
            "CreateConnection": self._create_connection,
            "DescribeConnection": self._describe_connection,
            "CreateApiDestination": self._create_api_destination,
            "DescribeApiDestination": self._describe_api_destination,
        }

    def bus(self, name: str) -> EventBus | None:
        return self._buses.get(name)

    def bus_names(self) -> list[str]:
        return sorted(self._buses)

    def target(self, rule_arn: str, target_id: str) -> tuple[Rule, Target] | None:
        """The rule an ARN names and one of its targets, if both exist now."""
        try:
            bus_name, rule_name = arns.parse_rule_arn(rule_arn)
        except ValueError:
            return None
        bus = self._buses.get(bus_name)
        rule = bus.rules.get(rule_name) if bus else None
        target = rule.targets.get(target_id) if rule else None
        return (rule, target) if rule is not None and target is not None else None

    def lambda_targets(self) -> list[LambdaTarget]:
        """Every rule target that is a Lambda function: buses, rules and targets in creation order."""
        return [
            LambdaTarget(rule.arn, target.id, target.arn)
            for bus in self._buses.values()
            for rule in bus.rules.values()
            for target in rule.targets.values()
            if arns.is_lambda_function(target.arn)
        ]

    # --- event buses ----------------------------------------------------------------------------------------

    def _add_bus(self, name: str, description: str | None) -> EventBus:
        bus = EventBus(name, event_bus_arn(self.region, self.account, name), description, time.time())
        self._buses[name] = bus
        return bus

    def _bus(self, name_or_arn: str | None) -> EventBus:
        name = arns.bus_name(name_or_arn)
        bus = self._buses.get(name)
        if bus is None:
            raise not_found(f"Event bus {name} does not exist.")
        return bus

    def _create_event_bus(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = resource_name(request, "Name", max_length=256)
        if name in self._buses:
            raise already_exists(f"Event bus {name} already exists.")
        bus = self._add_bus(name, optional_str(request, "Description"))
        return {"EventBusArn": bus.arn}

    def _describe_event_bus(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self._bus(optional_str(request, "Name")).describe()

    def _list_event_buses(self, request: Mapping[str, Any]) -> dict[str, Any]:
        prefix = optional_str(request, "NamePrefix") or ""
        buses = [bus.describe() for name, bus in sorted(self._buses.items()) if name.startswith(prefix)]
        page, token = _page(buses, request)
        return {"EventBuses": page, **({"NextToken": token} if token else {})}

    # --- rules ----------------------------------------------------------------------------------------------

    def _rule(self, request: Mapping[str, Any], name_member: str = "Name") -> tuple[EventBus, Rule]:
        bus = self._bus(optional_str(request, "EventBusName"))
        name = required_str(request, name_member)
        rule = bus.rules.get(name)
        if rule is None:
            raise not_found(f"Rule {name} does not exist on EventBus {bus.name}.")
        return bus, rule

    def _put_rule(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = resource_name(request)
        bus = self._bus(optional_str(request, "EventBusName"))
        raw_pattern = request.get("EventPattern")
        pattern_text = json.dumps(raw_pattern) if isinstance(raw_pattern, Mapping) else raw_pattern
        if pattern_text is not None and not isinstance(pattern_text, str):
            raise validation_error("EventPattern must be a JSON object given as a string.")
        schedule = optional_str(request, "ScheduleExpression")
        if pattern_text is None and schedule is None:
            raise validation_error("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if schedule is not None and bus.name != arns.DEFAULT_BUS:
            raise validation_error("ScheduleExpression is supported only on the default event bus.")
        if pattern_text is not None and len(pattern_text) > MAX_PATTERN_CHARS:
            raise validation_error(
                f"1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_PATTERN_CHARS}"
            )
        pattern = compile_event_pattern(pattern_text) if pattern_text is not None else None
        state = optional_str(request, "State") or ENABLED
        if state not in RULE_STATES:
            raise validation_error(f"State {state!r} is not valid: use ENABLED or DISABLED.")
        existing = bus.rules.get(name)
        if existing is None and len(bus.rules) >= self.settings.max_rules_per_bus:
            raise limit_exceeded(
                f"Event bus {bus.name} already has {len(bus.rules)} rules, the maximum; delete a rule first."
            )
        if schedule is not None:
            log.warning(
                "rule %s: ScheduleExpression is stored but the local EventBridge does not run schedules", name
            )
        rule = Rule(
            name=name,
            bus=bus.name,
            arn=arns.rule_arn(self.region, self.account, bus.name, name),
            event_pattern=pattern_text,
            pattern=pattern,
            schedule_expression=schedule,
            state=state,
            description=optional_str(request, "Description"),
            role_arn=optional_str(request, "RoleArn"),
            account=self.account,
            targets=existing.targets if existing else {},
        )
        bus.rules[name] = rule
        self._index(bus, rule)
        return {"RuleArn": rule.arn}

    def _index(self, bus: EventBus, rule: Rule) -> None:
        bus.index.remove(rule.name)
        if rule.enabled and rule.pattern is not None:
            bus.index.add(rule.name, rule.pattern)

    def _describe_rule(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self._rule(request)[1].describe()

    def _list_rules(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self._bus(optional_str(request, "EventBusName"))
        prefix = optional_str(request, "NamePrefix") or ""
        rules = []
        for name, rule in sorted(bus.rules.items()):
            if name.startswith(prefix):
                described = rule.describe()
                described.pop("CreatedBy", None)
                rules.append(described)
        page, token = _page(rules, request)
        return {"Rules": page, **({"NextToken": token} if token else {})}

    def _delete_rule(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self._bus(optional_str(request, "EventBusName"))
        name = required_str(request, "Name")
        rule = bus.rules.get(name)
        if rule is None:
            return {}
        if rule.targets:
            raise validation_error("Rule can't be deleted since it has targets.")
        bus.index.remove(name)
        del bus.rules[name]
        return {}

    def _set_state(self, request: Mapping[str, Any], state: str) -> dict[str, Any]:
        bus, rule = self._rule(request)
        rule.state = state
        self._index(bus, rule)
        return {}

    # --- targets --------------------------------------------------------------------------------------------

    def _put_targets(self, request: Mapping[str, Any]) -> dict[str, Any]:
        _, rule = self._rule(request, "Rule")
        entries = optional_list(request, "Targets")
        if not entries:
            raise validation_error(
                "1 validation error detected: Value '[]' at 'targets' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1"
            )
        targets: list[Target] = [parse_target(copy.deepcopy(entry)) for entry in entries]
        ids = set(rule.targets) | {target.id for target in targets}
        if len(ids) > self.settings.max_targets_per_rule:
            raise limit_exceeded(
                f"Rule {rule.name} would have {len(ids)} targets; a rule can have at most "
                f"{self.settings.max_targets_per_rule}. Remove targets or split the rule."
            )
        for target in targets:
            known = arns.is_lambda_function(target.arn) or arns.is_sqs_queue(target.arn)
            if not known and self.api_destination_for(target.arn) is None:
                log.warning(
                    "rule %s target %s: %s is neither a Lambda function, an SQS queue nor a known API "
                    "destination; deliveries to it will fail locally",
                    rule.arn,
                    target.id,
                    target.arn,
                )
            rule.targets[target.id] = target
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def _remove_targets(self, request: Mapping[str, Any]) -> dict[str, Any]:
        _, rule = self._rule(request, "Rule")
        for target_id in optional_list(request, "Ids"):
            rule.targets.pop(str(target_id), None)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def _list_targets_by_rule(self, request: Mapping[str, Any]) -> dict[str, Any]:
        _, rule = self._rule(request, "Rule")
        page, token = _page([dict(target.spec) for target in rule.targets.values()], request)
        return {"Targets": page, **({"NextToken": token} if token else {})}

    # --- connections and API destinations -------------------------------------------------------------------

    def _create_connection(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = resource_name(request)
        if name in self._connections:
            raise already_exists(f"Connection {name} already exists.")
        authorization_type = required_str(request, "AuthorizationType")
        auth = copy.deepcopy(dict(optional_map(request, "AuthParameters")))
        check_auth_parameters(authorization_type, auth)
        for other in set(AUTH_MEMBER.values()) - {AUTH_MEMBER[authorization_type]}:
            auth.pop(other, None)
        now = time.time()
        connection = Connection(
            name=name,
            arn=connection_arn(self.region, self.account, name),
            authorization_type=authorization_type,
            auth_parameters=auth,
            description=optional_str(request, "Description"),
            secret_arn=connection_secret_arn(self.region, self.account, name),
            created=now,
            modified=now,
        )
        self._connections[name] = connection
        return {
            "ConnectionArn": connection.arn,
            "ConnectionState": "AUTHORIZED",
            "CreationTime": now,
            "LastModifiedTime": now,
        }

    def _describe_connection(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = required_str(request, "Name")
        connection = self._connections.get(name)
        if connection is None:
            raise not_found(f"Failed to describe the connection(s). Connection '{name}' does not exist.")
        return describe_connection(connection)

    def _create_api_destination(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = resource_name(request)
        if name in self._api_destinations:
            raise already_exists(f"An api-destination '{name}' already exists.")
        connection_arn = required_str(request, "ConnectionArn")
        connection_name = arns.resource_name(connection_arn, "connection")
        if connection_name is None or connection_name not in self._connections:
            raise not_found(
                f"Connection '{connection_arn}' does not exist; create it with CreateConnection first."
            )
        endpoint = check_endpoint(required_str(request, "InvocationEndpoint"), "InvocationEndpoint")
        method = required_str(request, "HttpMethod")
        if method not in HTTP_METHODS:
            raise validation_error(
                f"HttpMethod {method!r} is not valid: use one of {', '.join(HTTP_METHODS)}."
            )
        rate = optional_int(request, "InvocationRateLimitPerSecond")
        if rate is not None and rate < 1:
            raise validation_error("InvocationRateLimitPerSecond must be at least 1.")
        now = time.time()
        destination = ApiDestination(
            name=name,
            arn=api_destination_arn(self.region, self.account, name),
            connection_arn=self._connections[connection_name].arn,
            invocation_endpoint=endpoint,
            http_method=method,
            rate_limit_per_second=DEFAULT_RATE_LIMIT if rate is None else rate,
            description=optional_str(request, "Description"),
            created=now,
            modified=now,
        )
        self._api_destinations[name] = destination
        return {
            "ApiDestinationArn": destination.arn,
            "ApiDestinationState": "ACTIVE",
            "CreationTime": now,
            "LastModifiedTime": now,
        }

    def _describe_api_destination(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = required_str(request, "Name")
        destination = self._api_destinations.get(name)
        if destination is None:
            raise not_found(
                f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
            )
        return destination.describe()

    def api_destination_for(self, arn: str) -> tuple[ApiDestination, Connection] | None:
        name = arns.resource_name(arn, "api-destination")
        destination = self._api_destinations.get(name) if name else None
        if destination is None:
            return None
        connection = self._connections.get(arns.resource_name(destination.connection_arn, "connection") or "")
        return (destination, connection) if connection else None
