"""The notification history table: its item layout, and DynamoDB calls that fail as `HistoryUnavailable`.

One table holds, by partition key:
- `CHANNEL#<channel>` / `<position key>`: a recorded notification, with `prefix1`..`prefix4` set to the
  channel's proper prefixes. Index `ByPrefixN` (partition `prefixN`, sort `sk`) holds every notification
  below an N-segment prefix, so a pattern `/markets/DE/*` is one Query of `ByPrefix2` for `/markets/DE`.
- `EVENT#<eventId>` / `CHANNEL#<channel>`: the guard that says the eventId is recorded on that channel.
- `READER#<userId>` / `UP-TO`: the user's read position; `READER#<userId>` / `READ#<eventId>`: one mark.
Every item carries `expiresAt` (epoch seconds), the table's TTL attribute. template.yaml declares the same
keys and indexes; tests/template holds the two together.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from vehicle_config.history.selectors import MAX_PREFIX_DEPTH

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
UNPROCESSED_ATTEMPTS = 6  # BatchGet/BatchWrite leftovers are retried this often, with backoff


def prefix_attribute(depth: int) -> str:
    return f"prefix{depth}"


def prefix_index(depth: int) -> str:
    return f"ByPrefix{depth}"


PREFIX_INDEXES = {prefix_index(d): prefix_attribute(d) for d in range(1, MAX_PREFIX_DEPTH + 1)}


class HistoryUnavailable(RuntimeError):
    """DynamoDB did not answer or refused a request; nothing a caller sent was wrong."""


class DynamoDbClient(Protocol):
    """The slice of the boto3 DynamoDB client the history adapters use (no Scan: every read is a Query)."""

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]: ...
    def query(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]: ...


def string(value: str) -> dict[str, str]:
    return {"S": value}


def number(value: int) -> dict[str, str]:
    return {"N": str(value)}


class HistoryTable:
    """One table and a client: calls that raise `HistoryUnavailable`, and backoff for batch leftovers."""

    def __init__(
        self, table_name: str, client: DynamoDbClient, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.name = table_name
        self.client = client
        self._sleep = sleep

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self.client, operation)(**kwargs)
        except Exception as error:
            raise HistoryUnavailable(f"DynamoDB {operation} on {self.name} failed: {error}") from error
        return result

    def backoff(self, attempt: int) -> None:
        if attempt:
            self._sleep(0.05 * (2 ** (attempt - 1)) * (1 + random.random()))


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(((response or {}).get("Error") or {}).get("Code", "")) if isinstance(response, dict) else ""


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dynamodb_client() -> DynamoDbClient:
    """The deployed functions' client; boto3 honours AWS_ENDPOINT_URL_DYNAMODB (the local cloud)."""
    import boto3  # imported here: boto3 costs ~100 ms of cold start
    from botocore.config import Config

    # Short timeouts: a write that hangs would take its position with it past readers' settle time.
    config = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3})
    client: DynamoDbClient = boto3.client("dynamodb", config=config)
    return client
