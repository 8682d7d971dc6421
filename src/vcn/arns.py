"""Amazon Resource Names: one parser (`Arn.parse`) and the few names the local services read out of ARNs.

Builders of service-specific ARNs live with their service (e.g. `vcn.eventbridge.arns`) and use `Arn`.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BUS = "default"
_FORMAT = "arn:<partition>:<service>:<region>:<account>:<resource>"


@dataclass(frozen=True, slots=True)
class Arn:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`; the resource may itself hold `:` and `/`."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        """The parts of an ARN; ValueError saying the expected form when `text` is not one."""
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
            raise ValueError(f"{text!r} is not an ARN: expected {_FORMAT}")
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def _parse_or_none(text: str) -> Arn | None:
    try:
        return Arn.parse(text)
    except ValueError:
        return None


def bus_name(name_or_arn: str | None) -> str:
    """An `EventBusName` (a name or an event-bus ARN) -> the bus name; absent means the default bus."""
    if not name_or_arn:
        return DEFAULT_BUS
    arn = _parse_or_none(name_or_arn) if name_or_arn.startswith("arn:") else None
    if arn is not None and arn.resource.startswith("event-bus/"):
        return arn.resource.removeprefix("event-bus/")
    return name_or_arn


def local_bus_name(name_or_arn: str | None, account: str, region: str) -> str | None:
    """`bus_name` as one account in one Region sees it: None for an event-bus ARN of another account or
    Region, a bus no local name can stand for."""
    arn = _parse_or_none(name_or_arn) if name_or_arn and name_or_arn.startswith("arn:") else None
    if (
        arn is not None
        and arn.resource.startswith("event-bus/")
        and (arn.account, arn.region) != (account, region)
    ):
        return None
    return bus_name(name_or_arn)


def rule_arn(region: str, account: str, bus: str, rule: str) -> str:
    """The ARN of rule `rule` on event bus `bus`."""
    # Rules on the default bus keep the historical short form.
    path = f"rule/{rule}" if bus == DEFAULT_BUS else f"rule/{bus}/{rule}"
    return str(Arn("aws", "events", region, account, path))


def parse_rule_arn(arn: str) -> tuple[str, str]:
    """`arn:aws:events:<region>:<account>:rule/[<bus>/]<rule>` -> (bus, rule); ValueError for another ARN."""
    resource = Arn.parse(arn).resource
    if not resource.startswith("rule/"):
        raise ValueError(f"{arn!r} is not a rule ARN: expected arn:aws:events:<region>:<account>:rule/<name>")
    bus, _, rule = resource.removeprefix("rule/").rpartition("/")
    return bus or DEFAULT_BUS, rule


def resource_name(arn: str, resource_type: str) -> str | None:
    """The name in `arn:...:<resource_type>/<name>[/<id>]`; None for an ARN of another type, or no ARN."""
    parsed = _parse_or_none(arn)
    if parsed is None or not parsed.resource.startswith(f"{resource_type}/"):
        return None
    return parsed.resource[len(resource_type) + 1 :].split("/", 1)[0]


def sqs_queue_name(arn: str) -> str:
    """`arn:aws:sqs:<region>:<account>:<QueueName>` -> QueueName; ValueError for any other ARN."""
    parsed = _parse_or_none(arn)
    if parsed is None or parsed.service != "sqs" or ":" in parsed.resource:
        raise ValueError(
            f"{arn!r} is not an SQS queue ARN: expected arn:aws:sqs:<region>:<account>:<QueueName>"
        )
    return parsed.resource


def sqs_queue_name_of_url(url: str) -> str:
    """`https://sqs.<region>.amazonaws.com/<account>/<QueueName>` (or a local queue URL) -> QueueName."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def is_sqs_queue(arn: str) -> bool:
    """True for an SQS queue ARN (`arn:aws:sqs:<region>:<account>:<QueueName>`)."""
    parsed = _parse_or_none(arn) if arn.startswith("arn:") else None
    return (
        parsed is not None
        and parsed.service == "sqs"
        and bool(parsed.resource)
        and ":" not in parsed.resource
    )


def is_lambda_function(arn: str) -> bool:
    """True for a Lambda function ARN, with or without a version or alias."""
    parsed = _parse_or_none(arn) if arn.startswith("arn:") else None
    return parsed is not None and parsed.service == "lambda" and parsed.resource.startswith("function:")


def function_name(function: str) -> str:
    """`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or a bare name -> the name."""
    parsed = _parse_or_none(function) if function.startswith("arn:") else None
    if parsed is None:
        return function
    kind, _, rest = parsed.resource.partition(":")
    return rest.split(":", 1)[0] if kind == "function" and rest else function
