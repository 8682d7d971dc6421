"""Time to live, applied locally: items whose TTL attribute lies in the past are deleted by a sweep.

As in AWS, an item expires when its table has TTL enabled and the item's TTL attribute is a Number of epoch
seconds earlier than now; values more than five years in the past are ignored (AWS does not delete those),
and so are items without the attribute or with another type. Reads may return an expired item until a sweep
deletes it, as they may in AWS, which deletes within days. Each deletion is a conditional `DeleteItem`
through the engine (so it is journaled), on the TTL value seen: an item updated meanwhile is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .engine import DynamoDbEngine, table_items
from .errors import DynamoDbError

log = logging.getLogger("vcn.dynamodb")

OLDEST_PROCESSED_SECONDS = 5 * 365 * 24 * 3600


@dataclass(frozen=True)
class ExpiredItem:
    region: str
    table: str
    key: dict[str, Any]
    attribute: str
    value: dict[str, Any]  # the TTL attribute as seen, e.g. {"N": "1700000000"}

    def delete_request(self) -> dict[str, Any]:
        return {
            "TableName": self.table,
            "Key": self.key,
            "ConditionExpression": "#ttl = :expires",
            "ExpressionAttributeNames": {"#ttl": self.attribute},
            "ExpressionAttributeValues": {":expires": self.value},
        }


def _epoch_seconds(value: Any) -> Decimal | None:
    if getattr(value, "type", None) != "N":
        return None
    try:
        return Decimal(str(value.value))
    except InvalidOperation:
        return None


def expired_items(engine: DynamoDbEngine, now: float) -> list[ExpiredItem]:
    """Every item due for deletion at `now` (epoch seconds), across the tables with TTL enabled."""
    expired: list[ExpiredItem] = []
    oldest = Decimal(str(now - OLDEST_PROCESSED_SECONDS))
    current = Decimal(str(now))
    with engine.locked():
        for region, table in engine.tables():
            if table.ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            attribute = table.ttl.get("AttributeName")
            for item in table_items(table):
                seconds = _epoch_seconds(item.attrs.get(attribute))
                if seconds is None or not oldest <= seconds < current:
                    continue
                key = {table.hash_key_attr: item.hash_key.to_json()}
                if table.range_key_attr:
                    key[table.range_key_attr] = item.range_key.to_json()
                expired.append(
                    ExpiredItem(region, table.name, key, attribute, item.attrs[attribute].to_json())
                )
    return expired


@dataclass
class SweepResult:
    deleted: int = 0
    changed_meanwhile: int = 0
    failed: int = 0


def sweep_expired(engine: DynamoDbEngine, now: float) -> SweepResult:
    """Delete every expired item (one conditional DeleteItem each, so requests interleave with them)."""
    result = SweepResult()
    for item in expired_items(engine, now):
        try:
            engine.call("DeleteItem", item.delete_request(), region=item.region)
            result.deleted += 1
        except DynamoDbError as exc:
            if exc.error_type == "ConditionalCheckFailedException":
                result.changed_meanwhile += 1
                continue
            result.failed += 1
            log.warning("TTL: could not delete an expired item of %s: %s", item.table, exc)
    if result.deleted or result.failed:
        log.info("TTL: deleted %d expired items (%d failed)", result.deleted, result.failed)
    return result
