"""The resources of the local EventBridge: event buses, rules, targets, connections and API destinations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vcn.eventbridge.described import set_members
from vcn.eventbridge.input_transformer import TargetInput
from vcn.eventbridge.patterns import EventPattern
from vcn.eventbridge.retry import RetryPolicy
from vcn.eventbridge.rule_index import RuleIndex

ENABLED = "ENABLED"
DISABLED = "DISABLED"

# Connection states (AWS's ConnectionState values the local EventBridge reports).
AUTHORIZED = "AUTHORIZED"
AUTHORIZING = "AUTHORIZING"
DEAUTHORIZED = "DEAUTHORIZED"
DEAUTHORIZING = "DEAUTHORIZING"
DELETING = "DELETING"

Tags = dict[str, str]  # in the order they were added


def tag_list(tags: Tags) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def named_resource_fields(arn_member: str, arn: str, name: str, description: str | None) -> dict[str, Any]:
    """How Describe responses of connections and API destinations begin: ARN, name, then any description."""
    return set_members({arn_member: arn, "Name": name, "Description": description})


@dataclass(frozen=True)
class Target:
    id: str
    arn: str
    spec: Mapping[str, Any]  # the Target exactly as PutTargets received it (ListTargetsByRule returns it)
    input: TargetInput
    retry_policy: RetryPolicy
    dead_letter_queue: str | None  # queue name from DeadLetterConfig.Arn
    http_parameters: Mapping[str, Any]


@dataclass(frozen=True)
class LambdaTarget:
    """A rule target that is a Lambda function: who invokes the function, and under which target id."""

    rule_arn: str
    target_id: str
    function_arn: str


@dataclass
class Rule:
    name: str
    bus: str
    arn: str
    event_pattern: str | None
    pattern: EventPattern | None
    schedule_expression: str | None
    state: str
    description: str | None
    role_arn: str | None
    account: str
    targets: dict[str, Target] = field(default_factory=dict)
    tags: Tags = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.state != DISABLED

    def describe(self) -> dict[str, Any]:
        return set_members(
            {
                "Name": self.name,
                "Arn": self.arn,
                "EventPattern": self.event_pattern,
                "ScheduleExpression": self.schedule_expression,
                "State": self.state,
                "Description": self.description,
                "RoleArn": self.role_arn,
                "EventBusName": self.bus,
                "CreatedBy": self.account,
            }
        )


@dataclass
class EventBus:
    name: str
    arn: str
    description: str | None
    created: float
    modified: float
    kms_key_identifier: str | None = None
    dead_letter_config: Mapping[str, Any] | None = None
    log_config: Mapping[str, Any] | None = None
    policy: dict[str, Any] | None = None  # the resource policy PutPermission builds
    tags: Tags = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    index: RuleIndex = field(default_factory=RuleIndex)

    def settings(self) -> dict[str, Any]:
        """Description, KmsKeyIdentifier, DeadLetterConfig and LogConfig, those that are set."""
        return set_members(
            {
                "Description": self.description,
                "KmsKeyIdentifier": self.kms_key_identifier,
                "DeadLetterConfig": self.dead_letter_config,
                "LogConfig": self.log_config,
            }
        )

    def describe(self) -> dict[str, Any]:
        policy = None if self.policy is None else json.dumps(self.policy, separators=(",", ":"))
        return set_members(
            {
                "Name": self.name,
                "Arn": self.arn,
                **self.settings(),
                "Policy": policy,
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
            }
        )


@dataclass
class Connection:
    name: str
    arn: str
    authorization_type: str
    auth_parameters: Mapping[str, Any]  # with secrets: only delivery reads them, Describe never returns them
    description: str | None
    secret_arn: str
    created: float
    modified: float
    state: str = AUTHORIZED
    state_reason: str | None = None
    last_authorized: float | None = None
    # DeauthorizeConnection removed the secrets: nothing can be sent until UpdateConnection brings new ones.
    credentials_removed: bool = False
    kms_key_identifier: str | None = None
    connectivity: Mapping[str, Any] | None = None  # InvocationConnectivityParameters, stored and echoed

    def authorized(self, at: float) -> None:
        """The endpoint accepted the credentials (an OAuth token was issued)."""
        self.state, self.state_reason, self.last_authorized = AUTHORIZED, None, at

    def authorization_failed(self, reason: str) -> None:
        self.state, self.state_reason = DEAUTHORIZED, reason[:512]


@dataclass
class ApiDestination:
    name: str
    arn: str
    connection_arn: str
    invocation_endpoint: str
    http_method: str
    rate_limit_per_second: int
    description: str | None
    created: float
    modified: float

    def describe(self) -> dict[str, Any]:
        return {
            **named_resource_fields("ApiDestinationArn", self.arn, self.name, self.description),
            "ApiDestinationState": "ACTIVE",
            "ConnectionArn": self.connection_arn,
            "InvocationEndpoint": self.invocation_endpoint,
            "HttpMethod": self.http_method,
            "InvocationRateLimitPerSecond": self.rate_limit_per_second,
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
        }
