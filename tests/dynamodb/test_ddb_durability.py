"""What the local DynamoDB acknowledged survives a restart, `kill -9` and a compaction of its journal."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.dynamodb import hash_key_table
from tests.support.dynamodb_process import DynamoDbProcess
from vcn.dynamodb.engine import DynamoDbEngine
from vcn.dynamodb.journal import Journal, JournalInUse

TABLE = {
    "TableName": "Notes",
    "KeySchema": [{"AttributeName": "topic", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
    "AttributeDefinitions": [
        {"AttributeName": "topic", "AttributeType": "S"},
        {"AttributeName": "at", "AttributeType": "N"},
        {"AttributeName": "author", "AttributeType": "S"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "byAuthor",
            "KeySchema": [{"AttributeName": "author", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


def fill(client: Any, count: int = 40) -> None:
    client.create_table(**TABLE)
    client.update_time_to_live(
        TableName="Notes", TimeToLiveSpecification={"AttributeName": "expiresAt", "Enabled": True}
    )
    for index in range(count):
        client.put_item(
            TableName="Notes",
            Item={
                "topic": {"S": f"t{index % 4}"},
                "at": {"N": str(index)},
                "author": {"S": f"a{index % 3}"},
                "body": {"M": {"text": {"S": f"note {index}"}, "tags": {"SS": ["x", f"y{index}"]}}},
            },
        )
    for index in range(5):  # overwrite some, update some, delete some
        client.put_item(
            TableName="Notes", Item={"topic": {"S": "t0"}, "at": {"N": str(index * 4)}, "v": {"N": "2"}}
        )
        key = {"topic": {"S": f"t{index % 4}"}, "at": {"N": str(20 + index)}}
        client.update_item(
            TableName="Notes",
            Key=key,
            UpdateExpression="SET seen = :s",
            ExpressionAttributeValues={":s": {"BOOL": True}},
        )
        client.delete_item(TableName="Notes", Key={"topic": {"S": "t3"}, "at": {"N": str(3 + index * 4)}})


def everything(client: Any) -> list[dict[str, Any]]:
    items, start = [], None
    while True:
        reply = client.scan(TableName="Notes", **({"ExclusiveStartKey": start} if start else {}))
        items += reply["Items"]
        start = reply.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda item: (item["topic"]["S"], int(item["at"]["N"])))


def journal_rows(state_dir: Path) -> list[str]:
    # A second connection reads the WAL database while the service writes it.
    with sqlite3.connect(state_dir / "dynamodb" / "journal.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT operation FROM journal ORDER BY seq")]


def test_acknowledged_writes_survive_a_restart_on_the_same_state_folder(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = DynamoDbProcess(state)
    fill(first.client())
    before = everything(first.client())
    assert len(before) == 35
    assert first.stop() == 0

    second = DynamoDbProcess(state)
    try:
        assert second.ready["replayed"] == len(journal_rows(state))
        assert everything(second.client()) == before
        assert second.client().describe_time_to_live(TableName="Notes")["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": "expiresAt",
        }
    finally:
        second.stop()


def test_acknowledged_writes_survive_kill_9_of_the_service(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = DynamoDbProcess(state)
    fill(first.client(), count=12)
    before = everything(first.client())
    first.kill()  # SIGKILL: no shutdown code runs

    second = DynamoDbProcess(state)
    try:
        assert everything(second.client()) == before
    finally:
        second.stop()


def test_only_successful_writes_are_journaled(tmp_path: Path) -> None:
    service = DynamoDbProcess(tmp_path / "state")
    try:
        client = service.client()
        client.create_table(**TABLE)
        item = {"topic": {"S": "t"}, "at": {"N": "1"}, "author": {"S": "a"}}
        client.put_item(TableName="Notes", Item=item)
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(TableName="Notes", Item=item, ConditionExpression="attribute_not_exists(topic)")
        client.get_item(TableName="Notes", Key={"topic": {"S": "t"}, "at": {"N": "1"}})
        client.query(
            TableName="Notes",
            KeyConditionExpression="topic = :t",
            ExpressionAttributeValues={":t": {"S": "t"}},
        )
        client.execute_statement(Statement='SELECT * FROM "Notes"')
        client.execute_statement(
            Statement='UPDATE "Notes" SET seen = ? WHERE topic = ? AND at = ?',
            Parameters=[{"S": "yes"}, {"S": "t"}, {"N": "1"}],
        )
        assert journal_rows(tmp_path / "state") == ["CreateTable", "PutItem", "ExecuteStatement"]
    finally:
        service.stop()


def test_a_long_journal_is_compacted_at_start_into_the_same_state(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = DynamoDbProcess(state, "--compact-after-entries", "10")
    fill(first.client())
    before = everything(first.client())
    first.stop()
    assert len(journal_rows(state)) == 2 + 40 + 15

    second = DynamoDbProcess(state, "--compact-after-entries", "10")
    second.stop()  # it replayed 57 entries and compacted them
    # The table operations stay, in order; the 35 items are now two batches.
    assert journal_rows(state) == ["CreateTable", "UpdateTimeToLive", "BatchWriteItem", "BatchWriteItem"]

    third = DynamoDbProcess(state)
    try:
        client = third.client()
        assert everything(client) == before
        by_author = client.query(
            TableName="Notes",
            IndexName="byAuthor",
            KeyConditionExpression="author = :a",
            ExpressionAttributeValues={":a": {"S": "a1"}},
        )["Items"]
        assert len(by_author) == len([item for item in before if item.get("author") == {"S": "a1"}])
        ttl = client.describe_time_to_live(TableName="Notes")["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] == "ENABLED"
    finally:
        third.stop()


def test_a_state_folder_in_use_is_refused_with_a_message_saying_what_to_do(tmp_path: Path) -> None:
    service = DynamoDbProcess(tmp_path / "state")
    try:
        with pytest.raises(
            JournalInUse, match=r"another local cloud uses .*; stop it, or pass another --state-dir"
        ):
            Journal.open(tmp_path / "state", lock_timeout=0.2)
    finally:
        service.stop()
    Journal.open(tmp_path / "state", lock_timeout=0.2).close()  # free again once it stopped


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_journal_stops_the_start_naming_the_file_and_what_to_do(
    tmp_path: Path, damage: str
) -> None:
    state = tmp_path / "state"
    journal = state / "dynamodb" / "journal.sqlite3"
    first = DynamoDbProcess(state)
    client = first.client()
    client.create_table(**hash_key_table("t"))
    for n in range(300):
        client.put_item(TableName="t", Item={"id": {"S": f"item-{n}"}, "pad": {"S": "x" * 500}})
    assert first.stop() == 0  # a clean stop: everything in the main file
    if damage == "garbage":
        journal.write_bytes(b"not a database, just bytes " * 100)
    else:
        journal.write_bytes(journal.read_bytes()[: journal.stat().st_size // 2])
    second = DynamoDbProcess(state)
    try:
        assert second.ready["ready"] is False and second.ready["error"] == "journal_damaged", second.ready
        assert second.ready["message"].startswith(f"the DynamoDB journal {journal} cannot be read (")
        assert f"move {journal.parent} aside to start with empty tables" in second.ready["message"]
        assert second.process.wait(timeout=30) == 2
        assert "Traceback" not in second.log()
    finally:
        if second.process.poll() is None:
            second.stop()


def test_an_engine_reopened_in_process_rebuilds_its_state_from_the_journal_alone(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "one")
    engine = DynamoDbEngine(journal, account="000000000000", default_region="us-east-1")
    engine.open()
    plain = {key: value for key, value in TABLE.items() if key != "GlobalSecondaryIndexes"}
    engine.call("CreateTable", {**plain, "AttributeDefinitions": TABLE["AttributeDefinitions"][:2]})
    engine.call("PutItem", {"TableName": "Notes", "Item": {"topic": {"S": "t"}, "at": {"N": "7"}}})
    journal.close()

    # Another state folder: moto's in-memory state from above must not leak into it.
    other = Journal.open(tmp_path / "two")
    empty = DynamoDbEngine(other, account="000000000000", default_region="us-east-1")
    empty.open()
    assert empty.call("ListTables", {})["TableNames"] == []
    other.close()

    again = Journal.open(tmp_path / "one")
    reopened = DynamoDbEngine(again, account="000000000000", default_region="us-east-1")
    reopened.open()
    reply = reopened.call("GetItem", {"TableName": "Notes", "Key": {"topic": {"S": "t"}, "at": {"N": "7"}}})
    assert reply["Item"] == {"topic": {"S": "t"}, "at": {"N": "7"}}
    assert reopened.stats.replayed == 2 and reopened.stats.replay_failures == 0
    again.close()


def test_concurrent_writers_are_all_journaled_in_the_order_they_were_applied(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = DynamoDbProcess(state)
    first.client().create_table(**TABLE)

    def writer(number: int) -> None:
        own = first.client()  # boto3 clients are not shared between threads
        for index in range(15):
            # Every writer also bumps one shared counter: the final value depends on the order of all writes.
            own.put_item(TableName="Notes", Item={"topic": {"S": f"w{number}"}, "at": {"N": str(index)}})
            own.update_item(
                TableName="Notes",
                Key={"topic": {"S": "counter"}, "at": {"N": "0"}},
                UpdateExpression="ADD hits :one SET lastWriter = :me",
                ExpressionAttributeValues={":one": {"N": "1"}, ":me": {"S": f"w{number}-{index}"}},
            )

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    before = everything(first.client())
    first.kill()

    second = DynamoDbProcess(state)
    try:
        after = everything(second.client())
        assert after == before
        counter = next(item for item in after if item["topic"] == {"S": "counter"})
        assert counter["hits"] == {"N": "90"}
    finally:
        second.stop()


def test_a_clean_stop_compacts_the_journal_so_the_next_start_replays_less(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = DynamoDbProcess(state)
    client = first.client()
    client.create_table(**TABLE)
    for index in range(120):
        client.put_item(TableName="Notes", Item={"topic": {"S": "t"}, "at": {"N": str(index % 60)}})
    before = everything(client)
    first.stop()
    assert journal_rows(state) == ["CreateTable", "BatchWriteItem", "BatchWriteItem", "BatchWriteItem"]

    second = DynamoDbProcess(state)
    try:
        assert second.ready["replayed"] == 4
        assert everything(second.client()) == before
    finally:
        second.stop()


def test_run_by_a_local_cloud_it_outlives_ctrl_c_and_a_closed_terminal_until_the_cloud_stops_it(
    tmp_path: Path,
) -> None:
    """Ctrl-C and a closed terminal signal the cloud's whole process group; the functions still finishing
    in the grace period write to this service, so only the cloud (closing its stdin) stops it."""
    service = DynamoDbProcess(tmp_path / "state")  # run as the local cloud runs it: --stop-on-stdin-eof
    try:
        for how in (signal.SIGINT, signal.SIGHUP):
            service.process.send_signal(how)
        time.sleep(0.5)
        assert service.process.poll() is None, service.log()
        assert service.client().list_tables()["TableNames"] == []
    finally:
        assert service.stop() == 0
