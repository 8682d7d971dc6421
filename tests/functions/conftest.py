"""Handler-test setup: Powertools as outside Lambda; fixtures for context, publisher and identity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from adapters.dynamodb_history import DynamoDbHistory
from adapters.dynamodb_read_state import DynamoDbReadState
from adapters.history_table import HistoryTable

from tests.support.dynamodb import LocalDynamoDb, local_dynamodb
from tests.support.fakes import InMemoryEventPublisher, hand_out
from tests.support.function_environment import use_function_environment
from tests.support.lambda_functions import FakeLambdaContext, IdentityProvider, ec_key, rsa_key

# Before the test modules import any handler: handlers and Powertools read their settings at import.
use_function_environment()


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def publisher(monkeypatch: pytest.MonkeyPatch) -> InMemoryEventPublisher:
    """An in-memory publisher injected into every handler that publishes."""
    from handlers import configuration_api, validation_worker

    return hand_out(
        monkeypatch,
        InMemoryEventPublisher(),
        (configuration_api, "event_publisher"),
        (validation_worker, "event_publisher"),
    )


@pytest.fixture(scope="session")
def signing_keys() -> dict[str, object]:
    # RSA generation is the slow part of these tests, so the keys are made once per session
    return {
        "rsa": rsa_key("rsa-1"),
        "ec": ec_key("ec-1"),
        "rotated": rsa_key("rsa-2"),
        "foreign": rsa_key("rsa-x"),
    }


@pytest.fixture
def identity_provider(signing_keys: dict) -> Iterator[IdentityProvider]:
    provider = IdentityProvider(keys=[signing_keys["rsa"], signing_keys["ec"]])
    provider.served = [signing_keys["rsa"], signing_keys["ec"]]
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[LocalDynamoDb]:
    """moto's DynamoDB server for the session; real boto3 talks to it over HTTP."""
    with local_dynamodb() as server:
        yield server


@pytest.fixture
def history_table(dynamodb: LocalDynamoDb) -> HistoryTable:
    """A fresh table built from template.yaml's definition."""
    return HistoryTable(dynamodb.new_history_table(), dynamodb.client(), sleep=lambda _: None)


@pytest.fixture
def history_store(history_table: HistoryTable) -> DynamoDbHistory:
    return DynamoDbHistory(history_table)


@pytest.fixture
def read_state_store(history_table: HistoryTable) -> DynamoDbReadState:
    return DynamoDbReadState(history_table)
