"""Fixtures for the client tests; the helpers live in tests/support/event_api.py."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dynamodb import LocalDynamoDb, local_dynamodb
from tests.support.event_api import LocalEventApi


@pytest.fixture
def local_api(tmp_path: Path) -> LocalEventApi:
    return LocalEventApi(tmp_path)


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[LocalDynamoDb]:
    """moto's DynamoDB server for the session (the history tests build a table each)."""
    with local_dynamodb() as server:
        yield server
