"""`NotificationHistory` (`vehicle_config.history.ports`) on the history table; every read is one Query.

A notification is written in one transaction with its `EVENT#<eventId>` guard, on the condition that the
guard does not exist yet: a second delivery of the same notification to the same channel cancels the
transaction instead of adding a duplicate. Reads follow DynamoDB's 1 MB pages until they have enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vehicle_config.history.ports import HistoryEntry, RecordedNotification
from vehicle_config.history.positions import KeyRange, Position
from vehicle_config.history.selectors import ChannelSelector, channel_prefixes

from adapters.history_table import (
    CHANNEL,
    EVENT,
    NOTIFICATION,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    HistoryTable,
    HistoryUnavailable,
    dynamodb_client,
    error_code,
    number,
    prefix_attribute,
    prefix_index,
    string,
)


class DynamoDbHistory:
    """Recorded notifications in the history table."""

    def __init__(self, table: HistoryTable) -> None:
        self.table = table

    def record(self, entry: HistoryEntry) -> bool:
        try:
            self.table.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": guard_item(entry),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self.table.name, "Item": notification_item(entry)}},
                ]
            )
        except Exception as error:
            if _already_recorded(error):
                return False
            raise HistoryUnavailable(
                f"recording on {entry.channel} in {self.table.name} failed: {error}"
            ) from error
        return True

    def read(self, selector: ChannelSelector, keys: KeyRange, limit: int) -> list[RecordedNotification]:
        return [
            RecordedNotification(
                item[PARTITION_KEY]["S"].removeprefix(CHANNEL),
                Position.from_key(item[SORT_KEY]["S"]),
                item[NOTIFICATION]["S"],
            )
            for item in self._query(selector, keys, limit, f"{PARTITION_KEY}, {SORT_KEY}, {NOTIFICATION}")
        ]

    def positions(self, selector: ChannelSelector, keys: KeyRange, limit: int) -> list[Position]:
        return [
            Position.from_key(item[SORT_KEY]["S"]) for item in self._query(selector, keys, limit, SORT_KEY)
        ]

    def _query(self, selector: ChannelSelector, keys: KeyRange, limit: int, projection: str) -> Iterator[Any]:
        """Items in position order, following DynamoDB's pages (1 MB each) until `limit` or the end."""
        if keys.empty:
            return
        if selector.wildcard:
            partition, value = prefix_attribute(selector.depth), selector.path
        else:
            partition, value = PARTITION_KEY, CHANNEL + selector.path
        request: dict[str, Any] = {
            "TableName": self.table.name,
            "KeyConditionExpression": f"{partition} = :partition AND {SORT_KEY} BETWEEN :lower AND :upper",
            "ExpressionAttributeValues": {
                ":partition": string(value),
                ":lower": string(keys.lower),
                ":upper": string(keys.upper),
            },
            "ProjectionExpression": projection,
            "ScanIndexForward": True,
        }
        if selector.wildcard:
            request["IndexName"] = prefix_index(selector.depth)
        remaining = limit
        while remaining > 0:
            response = self.table.call("query", **request, Limit=remaining)
            items = response.get("Items", [])
            yield from items
            remaining -= len(items)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def notification_item(entry: HistoryEntry) -> dict[str, Any]:
    """The item of a recorded notification, under its channel and (through the indexes) its prefixes."""
    item = {
        PARTITION_KEY: string(CHANNEL + entry.channel),
        SORT_KEY: string(entry.position.key),
        "channel": string(entry.channel),
        "eventId": string(entry.position.event_id),
        NOTIFICATION: string(entry.notification),
        TTL_ATTRIBUTE: number(entry.expires_at),
    }
    for depth, prefix in enumerate(channel_prefixes(entry.channel), start=1):
        item[prefix_attribute(depth)] = string(prefix)
    return item


def guard_item(entry: HistoryEntry) -> dict[str, Any]:
    """The item whose existence says this eventId is recorded on this channel."""
    return {
        PARTITION_KEY: string(EVENT + entry.position.event_id),
        SORT_KEY: string(CHANNEL + entry.channel),
        "position": string(entry.position.key),
        TTL_ATTRIBUTE: number(entry.expires_at),
    }


def _already_recorded(error: Exception) -> bool:
    """The transaction was cancelled because the eventId's guard exists, and for no other reason."""
    if error_code(error) != "TransactionCanceledException":
        return False
    reasons = [r.get("Code") for r in getattr(error, "response", {}).get("CancellationReasons", [])]
    return (
        bool(reasons)
        and reasons[0] == "ConditionalCheckFailed"
        and all(code in (None, "None") for code in reasons[1:])
    )


def dynamodb_history(table_name: str) -> DynamoDbHistory:
    """The deployed function's history on `table_name`."""
    return DynamoDbHistory(HistoryTable(table_name, dynamodb_client()))
