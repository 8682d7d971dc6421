"""The local DynamoDB: moto's DynamoDB, made durable by a journal, with TTL applied, in its own process.

`LocalDynamoDb(...)` runs `python -m vcn.dynamodb` for a state folder; `ensure_tables(client, tables)` makes
the template's `TableConfig`s exist through the API, as any SDK would. Functions reach the service through
`AWS_ENDPOINT_URL_DYNAMODB`.

The names below are imported on first use: the service process (`python -m vcn.dynamodb`) imports this
package too, and needs none of the local cloud's side (aiohttp, asyncio subprocesses).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import DynamoDbClient
    from .config import (
        AttributeDefinition,
        DynamoDbSettings,
        KeyElement,
        Projection,
        SecondaryIndex,
        TableConfig,
        Throughput,
    )
    from .errors import DynamoDbError, DynamoDbUnavailable, TableMismatch
    from .process import LocalDynamoDb
    from .tables import ensure_tables

_MODULES = {
    "DynamoDbClient": ".client",
    "AttributeDefinition": ".config",
    "DynamoDbSettings": ".config",
    "KeyElement": ".config",
    "Projection": ".config",
    "SecondaryIndex": ".config",
    "TableConfig": ".config",
    "Throughput": ".config",
    "DynamoDbError": ".errors",
    "DynamoDbUnavailable": ".errors",
    "TableMismatch": ".errors",
    "LocalDynamoDb": ".process",
    "ensure_tables": ".tables",
}

__all__ = [
    "AttributeDefinition",
    "DynamoDbClient",
    "DynamoDbError",
    "DynamoDbSettings",
    "DynamoDbUnavailable",
    "KeyElement",
    "LocalDynamoDb",
    "Projection",
    "SecondaryIndex",
    "TableConfig",
    "TableMismatch",
    "Throughput",
    "ensure_tables",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULES[name], __name__), name)
