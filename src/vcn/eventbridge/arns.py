"""ARNs the local EventBridge mints for its resources, shaped as AWS shapes them (parsing is `vcn.arns`)."""

from __future__ import annotations

import secrets
import uuid

from vcn.arns import Arn


def events_arn(region: str, account: str, resource_type: str, name: str) -> str:
    """`arn:aws:events:<region>:<account>:<resource_type>/<name>` (`event-bus`, `archive`, `replay`, ...)."""
    return str(Arn("aws", "events", region, account, f"{resource_type}/{name}"))


def connection_secret_arn(region: str, account: str, name: str) -> str:
    suffix = secrets.token_hex(3)
    resource = f"secret:events!connection/{name}/{uuid.uuid4()}-{suffix}"
    return str(Arn("aws", "secretsmanager", region, account, resource))
