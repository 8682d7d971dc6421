"""The tables the local DynamoDB creates at start, and how it runs (what the template loader produces).

A `TableConfig` mirrors `AWS::DynamoDB::Table` after intrinsic functions are resolved; `create_request()`
turns it into the `CreateTable` call that makes it, so tables are made through the service's own API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

KeyType = Literal["HASH", "RANGE"]
ScalarType = Literal["S", "N", "B"]
BillingMode = Literal["PROVISIONED", "PAY_PER_REQUEST"]
ProjectionType = Literal["ALL", "KEYS_ONLY", "INCLUDE"]


@dataclass(frozen=True)
class KeyElement:
    attribute_name: str
    key_type: KeyType

    def to_api(self) -> dict[str, str]:
        return {"AttributeName": self.attribute_name, "KeyType": self.key_type}


@dataclass(frozen=True)
class AttributeDefinition:
    attribute_name: str
    attribute_type: ScalarType

    def to_api(self) -> dict[str, str]:
        return {"AttributeName": self.attribute_name, "AttributeType": self.attribute_type}


@dataclass(frozen=True)
class Throughput:
    read_capacity_units: int
    write_capacity_units: int

    def to_api(self) -> dict[str, int]:
        return {
            "ReadCapacityUnits": self.read_capacity_units,
            "WriteCapacityUnits": self.write_capacity_units,
        }


@dataclass(frozen=True)
class Projection:
    projection_type: ProjectionType = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    def to_api(self) -> dict[str, Any]:
        api: dict[str, Any] = {"ProjectionType": self.projection_type}
        if self.non_key_attributes:
            api["NonKeyAttributes"] = list(self.non_key_attributes)
        return api


@dataclass(frozen=True)
class SecondaryIndex:
    name: str
    key_schema: tuple[KeyElement, ...]
    projection: Projection = Projection()
    throughput: Throughput | None = None  # global indexes of PROVISIONED tables only

    def to_api(self) -> dict[str, Any]:
        api: dict[str, Any] = {
            "IndexName": self.name,
            "KeySchema": [key.to_api() for key in self.key_schema],
            "Projection": self.projection.to_api(),
        }
        if self.throughput is not None:
            api["ProvisionedThroughput"] = self.throughput.to_api()
        return api


@dataclass(frozen=True)
class TableConfig:
    """One table: its keys and indexes, billing, and the settings applied after it exists."""

    name: str
    key_schema: tuple[KeyElement, ...]
    attribute_definitions: tuple[AttributeDefinition, ...]
    billing_mode: BillingMode = "PROVISIONED"  # CloudFormation's default
    throughput: Throughput | None = None
    global_secondary_indexes: tuple[SecondaryIndex, ...] = ()
    local_secondary_indexes: tuple[SecondaryIndex, ...] = ()
    ttl_attribute: str | None = None  # TimeToLiveSpecification with Enabled: true
    point_in_time_recovery: bool = False
    stream_view_type: str | None = None
    deletion_protection: bool = False
    tags: tuple[tuple[str, str], ...] = ()

    def create_request(self) -> dict[str, Any]:
        """The CreateTable request that makes this table."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeySchema": [key.to_api() for key in self.key_schema],
            "AttributeDefinitions": [attribute.to_api() for attribute in self.attribute_definitions],
            "BillingMode": self.billing_mode,
        }
        if self.throughput is not None:
            request["ProvisionedThroughput"] = self.throughput.to_api()
        if self.global_secondary_indexes:
            request["GlobalSecondaryIndexes"] = [index.to_api() for index in self.global_secondary_indexes]
        if self.local_secondary_indexes:
            request["LocalSecondaryIndexes"] = [index.to_api() for index in self.local_secondary_indexes]
        if self.stream_view_type:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        if self.deletion_protection:
            request["DeletionProtectionEnabled"] = True
        if self.tags:
            request["Tags"] = [{"Key": key, "Value": value} for key, value in self.tags]
        return request


@dataclass(frozen=True)
class DynamoDbSettings:
    """How the local DynamoDB runs: the TTL sweep interval and when its journal is compacted."""

    # AWS deletes expired items "within a few days"; locally a sweep every minute keeps tables small.
    ttl_sweep_seconds: float = 60.0
    # Journal entries written since the last compaction before the journal is rewritten as table operations
    # plus the current items (a start replays ~0.5 ms per journaled request, ~0.2 ms per compacted item).
    compact_after_entries: int = 2000
    # How long start-up (which replays the journal) may take before the local cloud gives up.
    start_timeout_seconds: float = 120.0
