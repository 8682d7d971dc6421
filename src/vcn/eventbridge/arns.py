"""ARNs the local EventBridge mints for its resources, shaped as AWS shapes them (parsing is `vcn.arns`)."""

from __future__ import annotations

import secrets
import uuid

from vcn.arns import Arn


def event_bus_arn(region: str, account: str, bus: str) -> str:
    return str(Arn("aws", "events", region, account, f"event-bus/{bus}"))


def connection_arn(region: str, account: str, name: str) -> str:
    return str(Arn("aws", "events", region, account, f"connection/{name}/{uuid.uuid4()}"))


def api_destination_arn(region: str, account: str, name: str) -> str:
    return str(Arn("aws", "events", region, account, f"api-destination/{name}/{uuid.uuid4()}"))


def connection_secret_arn(region: str, account: str, name: str) -> str:
    suffix = secrets.token_hex(3)
    resource = f"secret:events!connection/{name}/{uuid.uuid4()}-{suffix}"
    return str(Arn("aws", "secretsmanager", region, account, resource))
