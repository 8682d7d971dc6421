"""API destination operations: Create, Describe, List, Update and DeleteApiDestination."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from vcn.eventbridge.connections import DEFAULT_RATE_LIMIT, check_endpoint
from vcn.eventbridge.errors import already_exists
from vcn.eventbridge.handler_group import ResourceOperations, answers, listing
from vcn.eventbridge.model import ApiDestination

ACTIVE = "ACTIVE"


class ApiDestinationOperations(ResourceOperations):
    """API destinations: the HTTP endpoints rules send to through a connection."""

    @answers("CreateApiDestination")
    def create(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if name in self.resources.api_destinations:
            raise already_exists(f"An api-destination '{name}' already exists.")
        connection = self.resources.connection_by_arn(request["ConnectionArn"])
        endpoint = check_endpoint(request["InvocationEndpoint"], "InvocationEndpoint")
        now = time.time()
        destination = ApiDestination(
            name=name,
            arn=self.resources.mint_arn("api-destination", name),
            connection_arn=connection.arn,
            invocation_endpoint=endpoint,
            http_method=request["HttpMethod"],
            rate_limit_per_second=request.get("InvocationRateLimitPerSecond", DEFAULT_RATE_LIMIT),
            description=request.get("Description"),
            created=now,
            modified=now,
        )
        self.resources.api_destinations[name] = destination
        return _summary(destination)

    @answers("DescribeApiDestination")
    def describe(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.resources.api_destination(request["Name"]).describe()

    list = listing(
        "ListApiDestinations",
        lambda resources: resources.api_destinations,
        ApiDestination.describe,
        connection_arn="ConnectionArn",
    )

    @answers("UpdateApiDestination")
    def update(self, request: Mapping[str, Any]) -> dict[str, Any]:
        destination = self.resources.api_destination(request["Name"])
        # Everything is checked before anything changes.
        connection_arn = (
            self.resources.connection_by_arn(request["ConnectionArn"]).arn
            if request.get("ConnectionArn") is not None
            else destination.connection_arn
        )
        endpoint = (
            check_endpoint(request["InvocationEndpoint"], "InvocationEndpoint")
            if request.get("InvocationEndpoint") is not None
            else destination.invocation_endpoint
        )
        destination.connection_arn = connection_arn
        destination.invocation_endpoint = endpoint
        destination.http_method = request.get("HttpMethod") or destination.http_method
        destination.rate_limit_per_second = request.get(
            "InvocationRateLimitPerSecond", destination.rate_limit_per_second
        )
        if request.get("Description") is not None:
            destination.description = request["Description"]
        destination.modified = time.time()
        return _summary(destination)

    @answers("DeleteApiDestination")
    def delete(self, request: Mapping[str, Any]) -> dict[str, Any]:
        destination = self.resources.api_destination(request["Name"])
        del self.resources.api_destinations[destination.name]
        return {}


def _summary(destination: ApiDestination) -> dict[str, Any]:
    """What Create- and UpdateApiDestination answer."""
    return {
        "ApiDestinationArn": destination.arn,
        "ApiDestinationState": ACTIVE,
        "CreationTime": destination.created,
        "LastModifiedTime": destination.modified,
    }
