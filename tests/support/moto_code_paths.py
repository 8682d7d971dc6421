"""moto's own DynamoDB code paths, to compare the local DynamoDB's fast paths (which wrap them) with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def moto_code_paths() -> Iterator[None]:
    """moto's own Table.query, index projection and reply serializer in this process for the duration of
    the block, instead of the fast paths the local DynamoDB wraps them in."""
    from moto.dynamodb.models.table import SecondaryIndex, Table
    from moto.dynamodb.responses import DynamoHandler

    query, project, serialized = Table.query, SecondaryIndex.project, DynamoHandler.serialized
    Table.query = query.__wrapped__  # type: ignore[attr-defined,method-assign]
    SecondaryIndex.project = project.__wrapped__  # type: ignore[attr-defined,method-assign]
    DynamoHandler.serialized = serialized.__wrapped__  # type: ignore[attr-defined,method-assign]
    try:
        yield
    finally:
        Table.query, SecondaryIndex.project = query, project  # type: ignore[method-assign]
        DynamoHandler.serialized = serialized  # type: ignore[method-assign]
