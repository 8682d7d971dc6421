"""Time to live, applied locally: expired items are deleted by a sweep, as AWS's TTL deletes them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.dynamodb import hash_key_table
from tests.support.dynamodb_process import DynamoDbProcess
from vcn.dynamodb.engine import DynamoDbEngine
from vcn.dynamodb.errors import DynamoDbError
from vcn.dynamodb.journal import Journal
from vcn.dynamodb.ttl import expired_items, sweep_expired

NOW = 1_800_000_000.0
SIX_YEARS = 6 * 365 * 24 * 3600


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[DynamoDbEngine]:
    journal = Journal.open(tmp_path / "state")
    engine = DynamoDbEngine(journal, account="000000000000", default_region="us-east-1")
    engine.open()
    for table, ttl in (("Expiring", True), ("Keeping", False)):
        engine.call("CreateTable", hash_key_table(table))
        if ttl:
            engine.call(
                "UpdateTimeToLive",
                {
                    "TableName": table,
                    "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
                },
            )
    yield engine
    journal.close()


def put(engine: DynamoDbEngine, table: str, key: str, **attributes: Any) -> None:
    engine.call("PutItem", {"TableName": table, "Item": {"id": {"S": key}, **attributes}})


def ids(engine: DynamoDbEngine, table: str) -> set[str]:
    return {item["id"]["S"] for item in engine.call("Scan", {"TableName": table})["Items"]}


def test_a_sweep_deletes_what_aws_ttl_would_delete_and_nothing_else(engine: DynamoDbEngine) -> None:
    put(engine, "Expiring", "expired", expiresAt={"N": str(int(NOW) - 10)})
    put(engine, "Expiring", "expired-fraction", expiresAt={"N": f"{NOW - 0.5}"})
    put(engine, "Expiring", "future", expiresAt={"N": str(int(NOW) + 10)})
    put(engine, "Expiring", "no-ttl")
    put(engine, "Expiring", "not-a-number", expiresAt={"S": "1"})
    put(engine, "Expiring", "older-than-five-years", expiresAt={"N": str(int(NOW) - SIX_YEARS)})
    put(engine, "Keeping", "expired-but-ttl-off", expiresAt={"N": str(int(NOW) - 10)})

    result = sweep_expired(engine, NOW)

    assert (result.deleted, result.failed) == (2, 0)
    assert ids(engine, "Expiring") == {"future", "no-ttl", "not-a-number", "older-than-five-years"}
    assert ids(engine, "Keeping") == {"expired-but-ttl-off"}
    assert [entry.operation for entry in engine.journal.entries()][-2:] == ["DeleteItem", "DeleteItem"]


def test_an_item_given_a_new_ttl_after_the_sweep_saw_it_is_kept(engine: DynamoDbEngine) -> None:
    put(engine, "Expiring", "renewed", expiresAt={"N": str(int(NOW) - 10)})
    (seen,) = expired_items(engine, NOW)
    put(engine, "Expiring", "renewed", expiresAt={"N": str(int(NOW) + 3600)})
    with pytest.raises(DynamoDbError) as refused:
        engine.call("DeleteItem", seen.delete_request())
    assert refused.value.error_type == "ConditionalCheckFailedException"
    assert ids(engine, "Expiring") == {"renewed"}


def test_the_running_service_sweeps_on_its_interval_and_the_deletion_is_durable(tmp_path: Path) -> None:
    state = tmp_path / "state"
    service = DynamoDbProcess(state, "--ttl-sweep-seconds", "0.2")
    client = service.client()
    client.create_table(**hash_key_table("Sessions"))
    client.update_time_to_live(
        TableName="Sessions", TimeToLiveSpecification={"AttributeName": "ttl", "Enabled": True}
    )
    now = int(time.time())
    client.put_item(TableName="Sessions", Item={"id": {"S": "old"}, "ttl": {"N": str(now - 1)}})
    client.put_item(TableName="Sessions", Item={"id": {"S": "live"}, "ttl": {"N": str(now + 3600)}})
    deadline = time.monotonic() + 30
    remaining = {"old", "live"}
    while "old" in remaining and time.monotonic() < deadline:
        time.sleep(0.1)
        remaining = {item["id"]["S"] for item in client.scan(TableName="Sessions")["Items"]}
    assert remaining == {"live"}, service.log()
    service.kill()

    again = DynamoDbProcess(state)  # the default interval (a minute): nothing is swept during this test
    try:
        assert {item["id"]["S"] for item in again.client().scan(TableName="Sessions")["Items"]} == {"live"}
    finally:
        again.stop()
