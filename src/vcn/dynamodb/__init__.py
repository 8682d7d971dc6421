"""The local DynamoDB: moto's DynamoDB, made durable by a journal, with TTL applied, in its own process.

`LocalDynamoDb(...)` runs `python -m vcn.dynamodb` for a state folder; `ensure_tables(client, tables)` makes
the template's `TableConfig`s exist through the API, as any SDK would. Functions reach the service through
`AWS_ENDPOINT_URL_DYNAMODB`.
"""

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
