"""DynamoDB tables of the template (`AWS::DynamoDB::Table`, also what SAM makes of `SimpleTable`) as
`TableConfig`s, checked the way CloudFormation and DynamoDB check them before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from vcn.dynamodb.config import (
    AttributeDefinition,
    BillingMode,
    KeyElement,
    KeyType,
    Projection,
    ProjectionType,
    ScalarType,
    SecondaryIndex,
    TableConfig,
    Throughput,
)

from .errors import Location, TemplateError
from .local_values import LocalResources

# Properties that change nothing the local cloud does, each with what that means.
_NOTED = {
    "SSESpecification": "tables are not encrypted locally",
    "ContributorInsightsSpecification": "no contributor insights locally",
    "KinesisStreamSpecification": "no Kinesis streaming locally",
    "ResourcePolicy": "no resource policies locally",
    "TableClass": "table classes make no difference locally",
    "OnDemandThroughput": "no throughput limits locally",
    "WarmThroughput": "no throughput limits locally",
}


def _list(value: Any, at: Location) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise at.error("must be a list")
    return value


def _key_schema(raw: Any, at: Location) -> tuple[KeyElement, ...]:
    elements = _list(raw, at)
    keys: list[KeyElement] = []
    for index, element in enumerate(elements):
        where = at.child(index)
        if not isinstance(element, dict) or element.get("KeyType") not in ("HASH", "RANGE"):
            raise where.error("each key needs AttributeName and KeyType HASH or RANGE")
        if not isinstance(element.get("AttributeName"), str) or not element["AttributeName"]:
            raise where.child("AttributeName").error("AttributeName is required")
        keys.append(KeyElement(element["AttributeName"], cast(KeyType, element["KeyType"])))
    if (
        not keys
        or keys[0].key_type != "HASH"
        or len(keys) > 2
        or (len(keys) == 2 and keys[1].key_type != "RANGE")
    ):
        raise at.error("KeySchema must be one HASH key, optionally followed by one RANGE key")
    return tuple(keys)


def _throughput(raw: Any, at: Location) -> Throughput | None:
    if raw is None:
        return None
    try:
        return Throughput(int(raw["ReadCapacityUnits"]), int(raw["WriteCapacityUnits"]))
    except (KeyError, TypeError, ValueError):
        raise at.error(
            "ProvisionedThroughput needs ReadCapacityUnits and WriteCapacityUnits (numbers)"
        ) from None


def _projection(raw: Any, at: Location) -> Projection:
    if not isinstance(raw, dict):
        raise at.error("Projection is required, e.g. {ProjectionType: ALL}")
    projection_type = raw.get("ProjectionType", "ALL")
    if projection_type not in ("ALL", "KEYS_ONLY", "INCLUDE"):
        raise at.child("ProjectionType").error(f"{projection_type!r} is not ALL, KEYS_ONLY or INCLUDE")
    non_key = tuple(str(name) for name in _list(raw.get("NonKeyAttributes"), at.child("NonKeyAttributes")))
    if projection_type == "INCLUDE" and not non_key:
        raise at.child("NonKeyAttributes").error("INCLUDE projections name their NonKeyAttributes")
    return Projection(cast(ProjectionType, projection_type), non_key)


def _indexes(raw: Any, at: Location, *, billing: str, local: bool) -> tuple[SecondaryIndex, ...]:
    indexes: list[SecondaryIndex] = []
    for position, index in enumerate(_list(raw, at)):
        where = at.child(position)
        if not isinstance(index, dict) or not isinstance(index.get("IndexName"), str):
            raise where.error("each index needs an IndexName")
        throughput = None if local else _throughput(index.get("ProvisionedThroughput"), where)
        if not local and billing == "PROVISIONED" and throughput is None:
            raise where.child("ProvisionedThroughput").error(
                "a global index of a PROVISIONED table needs ProvisionedThroughput"
            )
        indexes.append(
            SecondaryIndex(
                name=index["IndexName"],
                key_schema=_key_schema(index.get("KeySchema"), where.child("KeySchema")),
                projection=_projection(index.get("Projection"), where.child("Projection")),
                throughput=throughput if billing == "PROVISIONED" else None,
            )
        )
    names = [index.name for index in indexes]
    if len(set(names)) != len(names):
        raise at.error(f"index names must be unique, got {names}")
    return tuple(indexes)


def table_config(resources: LocalResources, logical_id: str, notes: list[str]) -> TableConfig:
    props = resources.resolved_properties(logical_id)
    at = Location(logical_id)
    key_schema = _key_schema(props.get("KeySchema"), at.child("KeySchema"))
    definitions: list[AttributeDefinition] = []
    for position, definition in enumerate(
        _list(props.get("AttributeDefinitions"), at.child("AttributeDefinitions"))
    ):
        where = at.child("AttributeDefinitions").child(position)
        if not isinstance(definition, dict) or definition.get("AttributeType") not in ("S", "N", "B"):
            raise where.error("each attribute needs AttributeName and AttributeType S, N or B")
        definitions.append(
            AttributeDefinition(
                str(definition["AttributeName"]), cast(ScalarType, definition["AttributeType"])
            )
        )
    billing = props.get("BillingMode", "PROVISIONED")
    if billing not in ("PROVISIONED", "PAY_PER_REQUEST"):
        raise at.child("BillingMode").error(f"{billing!r} is not PROVISIONED or PAY_PER_REQUEST")
    throughput = _throughput(props.get("ProvisionedThroughput"), at.child("ProvisionedThroughput"))
    if billing == "PROVISIONED" and throughput is None:
        raise at.child("ProvisionedThroughput").error(
            "a PROVISIONED table needs ProvisionedThroughput", hint="Or set BillingMode: PAY_PER_REQUEST"
        )
    global_indexes = _indexes(
        props.get("GlobalSecondaryIndexes"), at.child("GlobalSecondaryIndexes"), billing=billing, local=False
    )
    local_indexes = _indexes(
        props.get("LocalSecondaryIndexes"), at.child("LocalSecondaryIndexes"), billing=billing, local=True
    )
    defined = {definition.attribute_name for definition in definitions}
    key_attributes = {key.attribute_name for key in key_schema}
    for index in (*global_indexes, *local_indexes):
        key_attributes |= {key.attribute_name for key in index.key_schema}
    if defined != key_attributes:
        raise at.child("AttributeDefinitions").error(
            f"AttributeDefinitions must define exactly the key attributes of the table and its indexes "
            f"({sorted(key_attributes)}), got {sorted(defined)}"
        )
    for index in local_indexes:
        if index.key_schema[0] != key_schema[0]:
            raise at.child("LocalSecondaryIndexes").error(
                f"local index {index.name} must have the table's HASH key {key_schema[0].attribute_name}"
            )
    ttl = props.get("TimeToLiveSpecification") or {}
    ttl_attribute = ttl.get("AttributeName") if ttl.get("Enabled") in (True, "true", "True") else None
    if ttl.get("Enabled") in (True, "true", "True") and not ttl_attribute:
        raise at.child("TimeToLiveSpecification").error("AttributeName is required when TTL is enabled")
    recovery = props.get("PointInTimeRecoverySpecification") or {}
    point_in_time = recovery.get("PointInTimeRecoveryEnabled") in (True, "true", "True")
    if point_in_time:
        notes.append(
            f"{logical_id}: point-in-time recovery is recorded as enabled; there is no restore locally"
        )
    stream = (props.get("StreamSpecification") or {}).get("StreamViewType")
    if stream:
        notes.append(
            f"{logical_id}: its stream is kept locally, but nothing reads it (no event source mappings)"
        )
    for name, effect in _NOTED.items():
        if props.get(name):
            notes.append(f"{logical_id}: {name} is ignored ({effect})")
    if props.get("ImportSourceSpecification"):
        raise at.child("ImportSourceSpecification").error(
            "importing a table from S3 is not supported locally"
        )
    tags = tuple(
        (str(tag["Key"]), str(tag["Value"]))
        for tag in _list(props.get("Tags"), at.child("Tags"))
        if isinstance(tag, dict) and "Key" in tag
    )
    return TableConfig(
        name=resources.name(logical_id, "TableName"),
        key_schema=key_schema,
        attribute_definitions=tuple(definitions),
        billing_mode=cast(BillingMode, billing),
        throughput=throughput if billing == "PROVISIONED" else None,
        global_secondary_indexes=global_indexes,
        local_secondary_indexes=local_indexes,
        ttl_attribute=str(ttl_attribute) if ttl_attribute else None,
        point_in_time_recovery=point_in_time,
        stream_view_type=str(stream) if stream else None,
        deletion_protection=props.get("DeletionProtectionEnabled") in (True, "true", "True"),
        tags=tags,
    )


def extract_dynamodb_tables(
    resources: LocalResources, by_type: Callable[[str], list[str]], notes: list[str]
) -> list[TableConfig]:
    """One TableConfig per active AWS::DynamoDB::Table; table names must be unique, as in one account."""
    tables = [table_config(resources, lid, notes) for lid in by_type("AWS::DynamoDB::Table")]
    names = [table.name for table in tables]
    for name in names:
        if names.count(name) > 1:
            raise TemplateError(
                f"two tables are named {name!r}", hint="Table names are unique in an account and region"
            )
    return tables
