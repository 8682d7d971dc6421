"""moto's own DynamoDB code paths, to compare the local DynamoDB's fast paths (which wrap them) with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def moto_code_paths(*, replies: bool = True) -> Iterator[None]:
    """moto's own Table.query, index projection and transactions (and, with `replies`, its reply
    serializer) in this process for the duration of the block, instead of the fast paths the local DynamoDB
    wraps them in."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import SecondaryIndex, Table
    from moto.dynamodb.responses import DynamoHandler

    owners: list[tuple[type, str]] = [
        (Table, "query"),
        (SecondaryIndex, "project"),
        (DynamoDBBackend, "transact_write_items"),
    ]
    if replies:
        owners.append((DynamoHandler, "serialized"))
    fast = [(owner, name, getattr(owner, name)) for owner, name in owners]
    for owner, name, path in fast:
        setattr(owner, name, path.__wrapped__)
    try:
        yield
    finally:
        for owner, name, path in fast:
            setattr(owner, name, path)
