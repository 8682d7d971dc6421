"""`ReadState` (`vehicle_config.history.ports`) on the history table: per user, a read position and marks.

Reads are strongly consistent, so "mark read, reload, still read" holds on the next request, from any
device. The read position only moves forward: the update is conditional on the new position being later.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from vehicle_config.history.positions import Position

from adapters.history_table import (
    PARTITION_KEY,
    READ,
    READ_POSITION,
    READER,
    SORT_KEY,
    TTL_ATTRIBUTE,
    UNPROCESSED_ATTEMPTS,
    UP_TO,
    HistoryTable,
    HistoryUnavailable,
    chunks,
    dynamodb_client,
    error_code,
    number,
    string,
)

BATCH_WRITE_MAX = 25
BATCH_GET_MAX = 100


class DynamoDbReadState:
    """Each user's read state in the history table."""

    def __init__(self, table: HistoryTable) -> None:
        self.table = table

    def read_up_to(self, user_id: str) -> Position | None:
        response = self.table.call(
            "get_item",
            TableName=self.table.name,
            Key=self._key(user_id, UP_TO),
            ProjectionExpression=READ_POSITION,
            ConsistentRead=True,
        )
        item = response.get("Item")
        return None if item is None else Position.from_key(item[READ_POSITION]["S"])

    def advance_read_up_to(self, user_id: str, position: Position, expires_at: int) -> Position:
        try:
            self.table.client.update_item(
                TableName=self.table.name,
                Key=self._key(user_id, UP_TO),
                UpdateExpression=f"SET {READ_POSITION} = :position, {TTL_ATTRIBUTE} = :expires",
                ConditionExpression=f"attribute_not_exists({READ_POSITION}) OR {READ_POSITION} < :position",
                ExpressionAttributeValues={":position": string(position.key), ":expires": number(expires_at)},
            )
        except Exception as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise HistoryUnavailable(f"saving the read position failed: {error}") from error
            current = self.read_up_to(user_id)  # already further along: the position never moves back
            return position if current is None else current
        return position

    def mark_read(self, user_id: str, event_ids: Collection[str], expires_at: int) -> None:
        puts = [
            {
                "PutRequest": {
                    "Item": {**self._key(user_id, READ + event_id), TTL_ATTRIBUTE: number(expires_at)}
                }
            }
            for event_id in event_ids
        ]
        for batch in chunks(puts, BATCH_WRITE_MAX):
            pending: dict[str, Any] = {self.table.name: batch}
            for attempt in range(UNPROCESSED_ATTEMPTS):
                self.table.backoff(attempt)
                pending = (
                    self.table.call("batch_write_item", RequestItems=pending).get("UnprocessedItems") or {}
                )
                if not pending:
                    break
            else:
                raise HistoryUnavailable(
                    f"DynamoDB left {len(pending[self.table.name])} read marks unwritten"
                )

    def read_among(self, user_id: str, event_ids: Collection[str]) -> frozenset[str]:
        found: set[str] = set()
        keys = [self._key(user_id, READ + event_id) for event_id in dict.fromkeys(event_ids)]
        for batch in chunks(keys, BATCH_GET_MAX):
            pending: dict[str, Any] = {
                self.table.name: {"Keys": batch, "ProjectionExpression": SORT_KEY, "ConsistentRead": True}
            }
            for attempt in range(UNPROCESSED_ATTEMPTS):
                self.table.backoff(attempt)
                response = self.table.call("batch_get_item", RequestItems=pending)
                for item in response.get("Responses", {}).get(self.table.name, []):
                    found.add(item[SORT_KEY]["S"].removeprefix(READ))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise HistoryUnavailable("DynamoDB left read marks unread after several attempts")
        return frozenset(found)

    @staticmethod
    def _key(user_id: str, sort_key: str) -> dict[str, Any]:
        return {PARTITION_KEY: string(READER + user_id), SORT_KEY: string(sort_key)}


def dynamodb_read_state(table_name: str) -> DynamoDbReadState:
    """The deployed function's read state on `table_name`."""
    return DynamoDbReadState(HistoryTable(table_name, dynamodb_client()))
