"""Where a command sends its requests: the running local cloud (`<state-dir>/local.json`) or a deployed stack.

A deployed stack is found by name through its CloudFormation outputs; everything else about AWS (credentials,
region) comes from the usual boto3 configuration.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vcn.aws_account import LOCAL_ACCOUNT
from vcn.cli.errors import CliError
from vcn.local.profile import StackOutputs
from vcn.local.state import DamagedLocalJson, NoLocalCloud, load_local_json

DEFAULT_STATE_DIR = ".vcn"
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def default_state_dir() -> Path:
    return Path(os.environ.get("VCN_STATE_DIR", DEFAULT_STATE_DIR))


@dataclass(frozen=True)
class Target:
    """Endpoints of one running application, local or deployed."""

    label: str  # "local cloud" or "stack <name>"
    region: str
    bus_name: str
    appsync_http: str
    appsync_realtime: str
    eventbridge_url: str | None = None  # None: the AWS endpoint of `region`
    dynamodb_url: str | None = None  # local only, when the template has tables
    api_key: str | None = None  # local only: the deployed key is never exposed as an output
    api_url: str | None = None
    state_dir: Path | None = None  # local only
    queues: tuple[str, ...] | None = None  # local only: the template's SQS queues (None: not said)
    outputs: dict[str, str] | None = None  # deployed only

    @property
    def is_local(self) -> bool:
        return self.state_dir is not None

    def boto3_client(self, service: str) -> Any:
        """A boto3 client for `service` pointed at this target (dummy credentials for the local cloud)."""
        import boto3  # imported on use: it costs most of the CLI's start-up time

        if self.is_local:
            session: Any = boto3.session.Session(
                aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
                aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
                region_name=self.region,
            )
            endpoints = {"events": self.eventbridge_url, "dynamodb": self.dynamodb_url}
            return session.client(service, endpoint_url=endpoints.get(service))
        deployed: Any = boto3.session.Session(region_name=self.region)
        return deployed.client(service)


def read_local_json(state_dir: Path, needs: Iterable[str] = ()) -> dict[str, Any]:
    """The endpoints of the local cloud running on `state_dir`, holding the keys of `needs`; a local.json
    whose cloud died, or that is not what a cloud writes, is refused."""
    try:
        return load_local_json(state_dir, needs)
    except (NoLocalCloud, DamagedLocalJson) as exc:
        raise CliError(str(exc)) from None


# The keys a local target cannot do without (the others have defaults, or say what is missing when used).
TARGET_NEEDS = ("eventbridge",)


def local_target(state_dir: Path) -> Target:
    info = read_local_json(state_dir, TARGET_NEEDS)
    appsync = info.get("appsync") or {}
    return Target(
        label="local cloud",
        region=str(info.get("region", LOCAL_ACCOUNT.region)),
        bus_name=str(info.get("eventBusName") or "default"),
        appsync_http=str(appsync.get("http", "")),
        appsync_realtime=str(appsync.get("realtime", "")),
        eventbridge_url=str(info["eventbridge"]),
        dynamodb_url=info.get("dynamodb"),
        api_key=appsync.get("apiKey"),
        api_url=info.get("api"),
        state_dir=state_dir,
        queues=tuple(map(str, info["queues"])) if isinstance(info.get("queues"), list) else None,
    )


def stack_target(
    stack: str, outputs: StackOutputs | None, region: str | None = None, cloudformation: Any = None
) -> Target:
    """Endpoints from a deployed stack's outputs, named by the app profile's `StackOutputs`."""
    if outputs is None:
        raise CliError(
            f"--stack {stack}: this project has no app profile naming its stack outputs "
            "([tool.vcn] profile in pyproject.toml), so the endpoints cannot be found"
        )
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        if cloudformation is None:
            cloudformation = boto3.session.Session(region_name=region).client("cloudformation")
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except NoRegionError:
        raise CliError(f"no AWS region for stack {stack!r}: pass --region or set AWS_REGION") from None
    except NoCredentialsError:
        raise CliError(
            "no AWS credentials found: configure the AWS CLI (aws configure) or set AWS_PROFILE"
        ) from None
    except ClientError as exc:
        raise CliError(f"cannot read stack {stack!r}: {exc.response['Error']['Message']}") from None
    except BotoCoreError as exc:
        raise CliError(f"cannot reach CloudFormation for stack {stack!r}: {exc}") from None
    values = {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}
    required = (outputs.appsync_http, outputs.appsync_realtime, outputs.event_bus)
    missing = [key for key in required if key not in values]
    if missing:
        raise CliError(
            f"stack {stack!r} has no output(s) {', '.join(missing)}; deploy this project's template.yaml"
        )
    return Target(
        label=f"stack {stack}",
        region=cloudformation.meta.region_name,
        bus_name=values[outputs.event_bus],
        appsync_http=values[outputs.appsync_http],
        appsync_realtime=values[outputs.appsync_realtime],
        api_url=values.get(outputs.api_url) if outputs.api_url else None,
        outputs=values,
    )


def resolve_target(
    state_dir: Path | None, stack: str | None, region: str | None = None, outputs: StackOutputs | None = None
) -> Target:
    if stack:
        return stack_target(stack, outputs, region)
    return local_target(state_dir or default_state_dir())
