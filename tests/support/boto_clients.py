"""boto3 clients on a local endpoint (the local cloud or one of its services), signed with dummy credentials:
the local services take any key, so tests never need (or read) real ones."""

from __future__ import annotations

from typing import Any, Literal

import boto3

# The services the local cloud serves that tests call through boto3.
LocalService = Literal["dynamodb", "events", "sqs"]


def local_client(service: LocalService, url: str, region: str = "us-east-1") -> Any:
    """A boto3 client for `service` that sends every call to `url`."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
