"""Making the template's tables exist, as declared, at every start (idempotent across restarts).

A missing table is created. A table kept from an earlier run is brought in line where DynamoDB allows it
without losing items: global secondary indexes added or removed, billing mode, TTL and point-in-time
recovery. Changing a table's keys or local indexes would mean replacing it (CloudFormation would delete its
items), so that is refused with a message saying how to start afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from .client import DynamoDbClient
from .config import TableConfig
from .errors import DynamoDbError, TableMismatch

log = logging.getLogger("vcn.dynamodb")


def _keys(schema: Iterable[Any]) -> list[tuple[str, str]]:
    return [(str(key["AttributeName"]), str(key["KeyType"])) for key in schema]


async def ensure_tables(client: DynamoDbClient, tables: Iterable[TableConfig]) -> None:
    for table in tables:
        try:
            existing = (await client.call("DescribeTable", {"TableName": table.name}))["Table"]
        except DynamoDbError as exc:
            if exc.error_type != "ResourceNotFoundException":
                raise
            await client.call("CreateTable", table.create_request())
            log.info("table %s created", table.name)
        else:
            await _reconcile(client, table, existing)
        await _time_to_live(client, table)
        await _point_in_time_recovery(client, table)


async def _reconcile(client: DynamoDbClient, table: TableConfig, existing: dict[str, Any]) -> None:
    fresh_start = (
        "remove the table's items with `rm -r <state-dir>/dynamodb` (every table) or rename the table"
    )
    wanted = [(key.attribute_name, key.key_type) for key in table.key_schema]
    if _keys(existing.get("KeySchema", [])) != wanted:
        raise TableMismatch(
            f"table {table.name} in the state folder has the key schema {_keys(existing['KeySchema'])}, the "
            f"template declares {wanted}; keys cannot change in place: {fresh_start}"
        )
    local = {
        index["IndexName"]: _keys(index["KeySchema"]) for index in existing.get("LocalSecondaryIndexes", [])
    }
    declared = {
        index.name: [(k.attribute_name, k.key_type) for k in index.key_schema]
        for index in table.local_secondary_indexes
    }
    if local != declared:
        raise TableMismatch(
            f"table {table.name} in the state folder has other local secondary indexes than the template "
            f"declares; they cannot change after creation: {fresh_start}"
        )
    updates: list[dict[str, Any]] = []
    present = {index["IndexName"]: index for index in existing.get("GlobalSecondaryIndexes", [])}
    for index in table.global_secondary_indexes:
        found = present.pop(index.name, None)
        if found is None:
            updates.append({"Create": index.to_api()})
        elif _keys(found["KeySchema"]) != [(k.attribute_name, k.key_type) for k in index.key_schema]:
            raise TableMismatch(
                f"global secondary index {index.name} of table {table.name} has other keys in the state "
                f"folder than in the template; rename the index in the template, or {fresh_start}"
            )
    updates += [{"Delete": {"IndexName": name}} for name in present]
    billing = existing.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    for update in updates:  # DynamoDB takes one index change per UpdateTable
        request: dict[str, Any] = {"TableName": table.name, "GlobalSecondaryIndexUpdates": [update]}
        if "Create" in update:
            request["AttributeDefinitions"] = [
                attribute.to_api() for attribute in table.attribute_definitions
            ]
        await client.call("UpdateTable", request)
        log.info("table %s: index %s", table.name, next(iter(update.values())).get("IndexName"))
    if billing != table.billing_mode:
        request = {"TableName": table.name, "BillingMode": table.billing_mode}
        if table.throughput is not None:
            request["ProvisionedThroughput"] = table.throughput.to_api()
        await client.call("UpdateTable", request)


async def _time_to_live(client: DynamoDbClient, table: TableConfig) -> None:
    current = (await client.call("DescribeTimeToLive", {"TableName": table.name}))["TimeToLiveDescription"]
    enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    attribute = current.get("AttributeName")
    if table.ttl_attribute is None:
        if enabled:
            spec = {"AttributeName": attribute, "Enabled": False}
            await client.call("UpdateTimeToLive", {"TableName": table.name, "TimeToLiveSpecification": spec})
        return
    if not enabled or attribute != table.ttl_attribute:
        spec = {"AttributeName": table.ttl_attribute, "Enabled": True}
        await client.call("UpdateTimeToLive", {"TableName": table.name, "TimeToLiveSpecification": spec})


async def _point_in_time_recovery(client: DynamoDbClient, table: TableConfig) -> None:
    backups = (await client.call("DescribeContinuousBackups", {"TableName": table.name}))[
        "ContinuousBackupsDescription"
    ]
    status = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    if (status == "ENABLED") != table.point_in_time_recovery:
        spec = {"PointInTimeRecoveryEnabled": table.point_in_time_recovery}
        await client.call(
            "UpdateContinuousBackups", {"TableName": table.name, "PointInTimeRecoverySpecification": spec}
        )
