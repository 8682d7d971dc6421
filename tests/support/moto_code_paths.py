"""moto's own DynamoDB code paths, to compare the local DynamoDB's fast paths (which wrap them) with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def moto_code_paths() -> Iterator[None]:
    """moto's own Table.query and reply serializer in this process for the duration of the block, instead of
    the fast paths the local DynamoDB wraps them in."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    query, serialized = Table.query, DynamoHandler.serialized
    Table.query = query.__wrapped__  # type: ignore[attr-defined,method-assign]
    DynamoHandler.serialized = serialized.__wrapped__  # type: ignore[attr-defined,method-assign]
    try:
        yield
    finally:
        Table.query, DynamoHandler.serialized = query, serialized  # type: ignore[method-assign]
