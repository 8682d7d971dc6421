"""ARNs of EventBridge resources, shaped as AWS shapes them, and parsing of the ARNs the API accepts."""

from __future__ import annotations

import secrets
import uuid

DEFAULT_BUS = "default"


def event_bus_arn(region: str, account: str, bus: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{bus}"


def rule_arn(region: str, account: str, bus: str, rule: str) -> str:
    # Rules on the default bus keep the historical short form.
    path = f"rule/{rule}" if bus == DEFAULT_BUS else f"rule/{bus}/{rule}"
    return f"arn:aws:events:{region}:{account}:{path}"


def connection_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:connection/{name}/{uuid.uuid4()}"


def api_destination_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:api-destination/{name}/{uuid.uuid4()}"


def connection_secret_arn(region: str, account: str, name: str) -> str:
    suffix = secrets.token_hex(3)
    return (
        f"arn:aws:secretsmanager:{region}:{account}:secret:events!connection/{name}/{uuid.uuid4()}-{suffix}"
    )


def bus_name(name_or_arn: str | None) -> str:
    """`EventBusName` parameters take a name or an event-bus ARN; absent means the default bus."""
    if not name_or_arn:
        return DEFAULT_BUS
    if name_or_arn.startswith("arn:") and ":event-bus/" in name_or_arn:
        return name_or_arn.split(":event-bus/", 1)[1]
    return name_or_arn


def parse_rule_arn(arn: str) -> tuple[str, str]:
    """`arn:aws:events:r:a:rule/[bus/]name` -> (bus, rule name)."""
    resource = arn.split(":", 5)[-1]
    if not resource.startswith("rule/"):
        raise ValueError(f"not a rule ARN: {arn}")
    parts = resource[len("rule/") :].split("/")
    if len(parts) == 1:
        return DEFAULT_BUS, parts[0]
    return "/".join(parts[:-1]), parts[-1]


def resource_name(arn: str, resource_type: str) -> str | None:
    """The name inside `arn:...:<resource_type>/<name>[/<uuid>]`, or None when the ARN is of another type."""
    marker = f":{resource_type}/"
    if marker not in arn:
        return None
    return arn.split(marker, 1)[1].split("/", 1)[0]


def sqs_queue_name(arn: str) -> str:
    """`arn:aws:sqs:<region>:<account>:<QueueName>` -> QueueName (the local dead-letter queue's name)."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs" or not parts[5]:
        raise ValueError(f"not an SQS queue ARN: {arn}")
    return parts[5]


def is_lambda_arn(arn: str) -> bool:
    return arn.startswith("arn:") and ":lambda:" in arn and ":function:" in arn
