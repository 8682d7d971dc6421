"""Fixtures for the CLI tests: moto's DynamoDB server for the history commands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dynamodb import LocalDynamoDb, local_dynamodb


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[LocalDynamoDb]:
    with local_dynamodb() as server:
        yield server
