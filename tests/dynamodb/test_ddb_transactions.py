"""TransactWriteItems on the local DynamoDB ends exactly as moto's own transaction does.

The local DynamoDB undoes a cancelled transaction item by item instead of restoring deep copies of whole
tables (`vcn.dynamodb.transaction_undo`). Two identical sets of tables take the same random transactions,
one through that path and one through moto's own; after every transaction the replies and every item of
both sets must be the same. The transactions mix puts, updates, deletes and condition checks on existing
and new keys, with conditions that hold or fail at any position, an item named twice, a missing key
attribute and an unknown table.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.dynamodb import hash_key_table
from tests.support.moto_code_paths import moto_code_paths
from vcn.dynamodb.engine import DynamoDbEngine
from vcn.dynamodb.journal import Journal

SEED = 20261130
SIDES = ("Fast", "Moto")
HASH_AND_SORT = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
PARTITIONS = ["p0", "p1", "p2"]


def create_tables(engine: DynamoDbEngine, side: str) -> None:
    engine.call(
        "CreateTable",
        {
            "TableName": f"{side}Events",
            "KeySchema": HASH_AND_SORT,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "ByGroup",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    engine.call("CreateTable", hash_key_table(f"{side}Guards", key="pk"))


def seed_items(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    items: list[tuple[str, dict[str, Any]]] = []
    for index in range(40):
        item = {"pk": {"S": rng.choice(PARTITIONS)}, "sk": {"S": f"s{index:02d}"}, "n": {"N": str(index)}}
        if rng.random() < 0.5:
            item["g"] = {"S": rng.choice(["a", "b"])}
        items.append(("Events", item))
    items += [("Guards", {"pk": {"S": f"e{index}"}, "n": {"N": "1"}}) for index in range(10)]
    return items


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDbEngine]:
    engine = DynamoDbEngine(
        Journal.open(tmp_path_factory.mktemp("transactions") / "state"),
        account="000000000000",
        default_region="us-east-1",
    )
    engine.open()
    items = seed_items(random.Random(SEED))
    for side in SIDES:
        create_tables(engine, side)
        for table, item in items:
            engine.call("PutItem", {"TableName": f"{side}{table}", "Item": item})
    yield engine
    engine.journal.close()


def random_key(rng: random.Random, table: str) -> dict[str, Any]:
    if table == "Guards":
        return {"pk": {"S": f"e{rng.randint(0, 14)}"}}  # e10-e14 do not exist yet
    return {"pk": {"S": rng.choice([*PARTITIONS, "p9"])}, "sk": {"S": f"s{rng.randint(0, 49):02d}"}}


def random_condition(rng: random.Random) -> dict[str, Any]:
    return rng.choice(
        [
            {"ConditionExpression": "attribute_not_exists(pk)"},
            {"ConditionExpression": "attribute_exists(pk)"},
            {"ConditionExpression": "n < :limit", "ExpressionAttributeValues": {":limit": {"N": "20"}}},
        ]
    )


def random_operation(rng: random.Random) -> dict[str, Any]:
    table = rng.choice(["Events", "Guards"])
    key = random_key(rng, table)
    kind = rng.choice(["Put", "Put", "Update", "Delete", "ConditionCheck"])
    request: dict[str, Any] = {"TableName": table}
    if kind == "Put":
        request["Item"] = {**key, "n": {"N": str(rng.randint(0, 40))}, "body": {"S": "x" * rng.randint(0, 9)}}
        if table == "Events" and rng.random() < 0.5:
            request["Item"]["g"] = {"S": rng.choice(["a", "b"])}
    else:
        request["Key"] = key
    if kind == "Update":
        request["UpdateExpression"] = rng.choice(["SET body = :v", "ADD n :v", "REMOVE body"])
        if "REMOVE" not in request["UpdateExpression"]:
            value = {"S": "updated"} if "SET" in request["UpdateExpression"] else {"N": "5"}
            request["ExpressionAttributeValues"] = {":v": value}
    if kind == "ConditionCheck" or rng.random() < 0.6:
        condition = random_condition(rng)
        request["ConditionExpression"] = condition["ConditionExpression"]
        values = request.get("ExpressionAttributeValues", {}) | condition.get("ExpressionAttributeValues", {})
        if values:
            request["ExpressionAttributeValues"] = values
    return {kind: request}


def random_transaction(rng: random.Random) -> list[dict[str, Any]]:
    operations = [random_operation(rng) for _ in range(rng.randint(1, 4))]
    odd = rng.random()
    if odd < 0.08:
        operations.append(json.loads(json.dumps(operations[0])))  # the same item twice
    elif odd < 0.12:
        request = next(iter(operations[-1].values()))
        (request.get("Item") or request["Key"]).pop("pk")  # a missing key attribute
    elif odd < 0.15:
        next(iter(operations[0].values()))["TableName"] = "Nowhere"
    return operations


def on_side(operations: list[dict[str, Any]], side: str) -> dict[str, Any]:
    named = json.loads(json.dumps(operations))
    for operation in named:
        request = next(iter(operation.values()))
        request["TableName"] = side + request["TableName"]
    return {"TransactItems": named}


def table_items(engine: DynamoDbEngine, table: str) -> list[str]:
    items: list[str] = []
    request: dict[str, Any] = {"TableName": table}
    while True:
        page = engine.call("Scan", request)
        items += [json.dumps(item, sort_keys=True) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return sorted(items)
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def index_items(engine: DynamoDbEngine, table: str) -> list[str]:
    pages = [
        engine.call(
            "Query",
            {
                "TableName": table,
                "IndexName": "ByGroup",
                "KeyConditionExpression": "g = :g",
                "ExpressionAttributeValues": {":g": {"S": group}},
            },
        )["Items"]
        for group in ("a", "b")
    ]
    return [json.dumps(item, sort_keys=True) for page in pages for item in page]


def state(engine: DynamoDbEngine, side: str) -> tuple[list[str], list[str], list[str]]:
    return (
        table_items(engine, f"{side}Events"),
        table_items(engine, f"{side}Guards"),
        index_items(engine, f"{side}Events"),
    )


def transact(engine: DynamoDbEngine, request: dict[str, Any]) -> tuple[int, str]:
    reply = engine.handle("us-east-1", "DynamoDB_20120810.TransactWriteItems", json.dumps(request).encode())
    return reply.status, json.dumps(reply.json(), sort_keys=True)


def test_random_transactions_end_exactly_like_motos(engine: DynamoDbEngine) -> None:
    rng = random.Random(SEED)
    outcomes: set[str] = set()
    for _ in range(300):
        operations = random_transaction(rng)
        fast = transact(engine, on_side(operations, "Fast"))
        with moto_code_paths(replies=False):
            moto = transact(engine, on_side(operations, "Moto"))
        assert fast == (moto[0], moto[1].replace("Moto", "Fast")), operations
        assert state(engine, "Fast") == state(engine, "Moto"), operations
        outcomes.add("ok" if fast[0] == 200 else json.loads(fast[1])["__type"].rsplit("#", 1)[-1])
    # Both ends were exercised: transactions that applied, were cancelled, and were refused.
    assert {"ok", "TransactionCanceledException", "ValidationException"} <= outcomes, outcomes


def test_a_cancelled_transaction_leaves_no_empty_partition(engine: DynamoDbEngine) -> None:
    before = state(engine, "Fast")
    status, body = transact(
        engine,
        {
            "TransactItems": [
                {"Put": {"TableName": "FastEvents", "Item": {"pk": {"S": "brand-new"}, "sk": {"S": "s"}}}},
                {
                    "ConditionCheck": {
                        "TableName": "FastGuards",
                        "Key": {"pk": {"S": "e0"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        },
    )
    assert status == 400 and "TransactionCanceledException" in body
    assert state(engine, "Fast") == before
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = dynamodb_backends["000000000000"]["us-east-1"].tables["FastEvents"]
    assert DynamoType({"S": "brand-new"}) not in table.items
