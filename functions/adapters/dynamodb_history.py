"""The history ports (`vehicle_config.history.ports`) on one DynamoDB table; every read is a Query.

Items, by partition key:
- `CHANNEL#<channel>` / `<position key>`: a recorded notification, with `prefix1`..`prefix4` set to the
  channel's proper prefixes. Index `ByPrefixN` (partition `prefixN`, sort `sk`) holds every notification
  below an N-segment prefix, so a pattern `/markets/DE/*` is one Query of `ByPrefix2` for `/markets/DE`.
- `EVENT#<eventId>` / `CHANNEL#<channel>`: written in the same transaction as the notification, on the
  condition that it does not exist yet: a second delivery of the same notification to the same channel
  cancels the transaction instead of adding a duplicate.
- `READER#<userId>` / `UP-TO`: the user's read position; `READER#<userId>` / `READ#<eventId>`: one mark.
Every item carries `expiresAt` (epoch seconds), the table's TTL attribute.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, Protocol

from vehicle_config.history.ports import HistoryEntry, RecordedNotification
from vehicle_config.history.positions import KeyRange, Position
from vehicle_config.history.selectors import MAX_PREFIX_DEPTH, ChannelSelector, channel_prefixes

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expiresAt"
CHANNEL = "CHANNEL#"
EVENT = "EVENT#"
READER = "READER#"
UP_TO = "UP-TO"
READ = "READ#"
NOTIFICATION = "notification"
READ_POSITION = "upTo"


def prefix_attribute(depth: int) -> str:
    return f"prefix{depth}"


def prefix_index(depth: int) -> str:
    return f"ByPrefix{depth}"


PREFIX_INDEXES = {prefix_index(d): prefix_attribute(d) for d in range(1, MAX_PREFIX_DEPTH + 1)}
BATCH_WRITE_MAX = 25
BATCH_GET_MAX = 100
UNPROCESSED_ATTEMPTS = 6


class HistoryUnavailable(RuntimeError):
    """DynamoDB did not answer or refused a request; nothing a caller sent was wrong."""


class DynamoDbClient(Protocol):
    """The slice of the boto3 DynamoDB client this adapter uses."""

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]: ...
    def query(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]: ...


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


class DynamoDbHistory:
    """`NotificationHistory` and `ReadState` on the table `table_name`."""

    def __init__(
        self, table_name: str, client: DynamoDbClient, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.table_name = table_name
        self._client = client
        self._sleep = sleep

    # ------------------------------------------------------------------ NotificationHistory
    def record(self, entry: HistoryEntry) -> bool:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": guard_item(entry),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self.table_name, "Item": notification_item(entry)}},
                ]
            )
        except Exception as error:
            if _already_recorded(error):
                return False
            raise HistoryUnavailable(
                f"recording on {entry.channel} in {self.table_name} failed: {error}"
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
            partition, value, index = (
                prefix_attribute(selector.depth),
                selector.path,
                prefix_index(selector.depth),
            )
        else:
            partition, value, index = PARTITION_KEY, CHANNEL + selector.path, None
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": f"{partition} = :partition AND {SORT_KEY} BETWEEN :lower AND :upper",
            "ExpressionAttributeValues": {
                ":partition": _s(value),
                ":lower": _s(keys.lower),
                ":upper": _s(keys.upper),
            },
            "ProjectionExpression": projection,
            "ScanIndexForward": True,
        }
        if index is not None:
            request["IndexName"] = index
        remaining = limit
        while remaining > 0:
            response = self._call(self._client.query, **request, Limit=remaining)
            items = response.get("Items", [])
            yield from items
            remaining -= len(items)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------------ ReadState
    def read_up_to(self, user_id: str) -> Position | None:
        response = self._call(
            self._client.get_item,
            TableName=self.table_name,
            Key={PARTITION_KEY: _s(READER + user_id), SORT_KEY: _s(UP_TO)},
            ProjectionExpression=READ_POSITION,
            ConsistentRead=True,  # "mark read, reload, still read": a read right after the write sees it
        )
        item = response.get("Item")
        return None if item is None else Position.from_key(item[READ_POSITION]["S"])

    def advance_read_up_to(self, user_id: str, position: Position, expires_at: int) -> Position:
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={PARTITION_KEY: _s(READER + user_id), SORT_KEY: _s(UP_TO)},
                UpdateExpression=f"SET {READ_POSITION} = :position, {TTL_ATTRIBUTE} = :expires",
                ConditionExpression=f"attribute_not_exists({READ_POSITION}) OR {READ_POSITION} < :position",
                ExpressionAttributeValues={":position": _s(position.key), ":expires": _n(expires_at)},
            )
        except Exception as error:
            if not _condition_failed(error):
                raise HistoryUnavailable(f"saving the read position failed: {error}") from error
            current = self.read_up_to(user_id)  # already further along: the position never moves back
            return position if current is None else current
        return position

    def mark_read(self, user_id: str, event_ids: Collection[str], expires_at: int) -> None:
        puts = [
            {
                "PutRequest": {
                    "Item": {
                        PARTITION_KEY: _s(READER + user_id),
                        SORT_KEY: _s(READ + event_id),
                        TTL_ATTRIBUTE: _n(expires_at),
                    }
                }
            }
            for event_id in event_ids
        ]
        for batch in _chunks(puts, BATCH_WRITE_MAX):
            pending: dict[str, Any] = {self.table_name: batch}
            for attempt in range(UNPROCESSED_ATTEMPTS):
                self._backoff(attempt)
                pending = (
                    self._call(self._client.batch_write_item, RequestItems=pending).get("UnprocessedItems")
                    or {}
                )
                if not pending:
                    break
            else:
                raise HistoryUnavailable(
                    f"DynamoDB left {len(pending[self.table_name])} read marks unwritten"
                )

    def read_among(self, user_id: str, event_ids: Collection[str]) -> frozenset[str]:
        found: set[str] = set()
        keys = [
            {PARTITION_KEY: _s(READER + user_id), SORT_KEY: _s(READ + e)} for e in dict.fromkeys(event_ids)
        ]
        for batch in _chunks(keys, BATCH_GET_MAX):
            pending: dict[str, Any] = {
                self.table_name: {"Keys": batch, "ProjectionExpression": SORT_KEY, "ConsistentRead": True}
            }
            for attempt in range(UNPROCESSED_ATTEMPTS):
                self._backoff(attempt)
                response = self._call(self._client.batch_get_item, RequestItems=pending)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    found.add(item[SORT_KEY]["S"].removeprefix(READ))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise HistoryUnavailable("DynamoDB left read marks unread after several attempts")
        return frozenset(found)

    # ------------------------------------------------------------------ plumbing
    def _call(self, operation: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        try:
            return operation(**kwargs)
        except Exception as error:
            raise HistoryUnavailable(
                f"DynamoDB {operation.__name__} on {self.table_name} failed: {error}"
            ) from error

    def _backoff(self, attempt: int) -> None:
        if attempt:
            self._sleep(0.05 * (2 ** (attempt - 1)) * (1 + random.random()))


def notification_item(entry: HistoryEntry) -> dict[str, Any]:
    """The item of a recorded notification, under its channel and (through the indexes) its prefixes."""
    item = {
        PARTITION_KEY: _s(CHANNEL + entry.channel),
        SORT_KEY: _s(entry.position.key),
        "channel": _s(entry.channel),
        "eventId": _s(entry.position.event_id),
        NOTIFICATION: _s(entry.notification),
        TTL_ATTRIBUTE: _n(entry.expires_at),
    }
    for depth, prefix in enumerate(channel_prefixes(entry.channel), start=1):
        item[prefix_attribute(depth)] = _s(prefix)
    return item


def guard_item(entry: HistoryEntry) -> dict[str, Any]:
    """The item whose existence says this eventId is recorded on this channel."""
    return {
        PARTITION_KEY: _s(EVENT + entry.position.event_id),
        SORT_KEY: _s(CHANNEL + entry.channel),
        "position": _s(entry.position.key),
        TTL_ATTRIBUTE: _n(entry.expires_at),
    }


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(((response or {}).get("Error") or {}).get("Code", "")) if isinstance(response, dict) else ""


def _condition_failed(error: Exception) -> bool:
    return _error_code(error) == "ConditionalCheckFailedException"


def _already_recorded(error: Exception) -> bool:
    """The transaction was cancelled because the eventId's guard exists, and for no other reason."""
    if _error_code(error) != "TransactionCanceledException":
        return False
    reasons = [r.get("Code") for r in getattr(error, "response", {}).get("CancellationReasons", [])]
    return (
        bool(reasons)
        and reasons[0] == "ConditionalCheckFailed"
        and all(code in (None, "None") for code in reasons[1:])
    )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dynamodb_history(table_name: str) -> DynamoDbHistory:
    """The deployed function's store; boto3 honours AWS_ENDPOINT_URL_DYNAMODB (the local cloud)."""
    import boto3  # imported here: boto3 costs ~100 ms of cold start
    from botocore.config import Config

    # Short timeouts: a write that hangs would take its position with it past readers' settle time.
    config = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3})
    return DynamoDbHistory(table_name, boto3.client("dynamodb", config=config))
