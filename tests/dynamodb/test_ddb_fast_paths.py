"""The local DynamoDB's fast paths answer exactly what moto answers without them.

Query windows (a Query on the table's keys looks only at the items the page can contain) and plain-JSON
replies for item reads are checked against moto's own code paths, on the same data: random items of every
attribute type, random key conditions, limits, directions and pagination.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from vcn.dynamodb.engine import DynamoDbEngine
from vcn.dynamodb.journal import Journal

SEED = 20261129


@contextlib.contextmanager
def moto_alone() -> Iterator[None]:
    """moto's own Table.query and reply serializer, for the duration of the block."""
    query, serialized = Table.query, DynamoHandler.serialized
    Table.query = query.__wrapped__  # type: ignore[attr-defined,method-assign]
    DynamoHandler.serialized = serialized.__wrapped__  # type: ignore[attr-defined,method-assign]
    try:
        yield
    finally:
        Table.query, DynamoHandler.serialized = query, serialized  # type: ignore[method-assign]


def attribute(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    kinds = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"] + (["M", "L"] if depth < 2 else [])
    kind = rng.choice(kinds)
    if kind == "S":
        return {"S": rng.choice(["", "a", "é", "zz", "ünï", "x" * rng.randint(1, 40)])}
    if kind == "N":
        return {"N": str(rng.choice([0, -1, 7, Decimal("3.25"), 10**20, Decimal("-0.5")]))}
    if kind == "B":
        return {"B": base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))).decode()}
    if kind == "BOOL":
        return {"BOOL": rng.random() < 0.5}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "SS":
        return {"SS": sorted({f"s{rng.randint(0, 9)}" for _ in range(rng.randint(1, 4))})}
    if kind == "NS":
        return {"NS": sorted({str(rng.randint(0, 99)) for _ in range(rng.randint(1, 4))})}
    if kind == "BS":
        return {"BS": sorted({base64.b64encode(bytes([rng.randrange(256)])).decode() for _ in range(2)})}
    if kind == "M":
        return {"M": {f"k{i}": attribute(rng, depth + 1) for i in range(rng.randint(0, 3))}}
    return {"L": [attribute(rng, depth + 1) for _ in range(rng.randint(0, 3))]}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDbEngine]:
    journal = Journal.open(tmp_path_factory.mktemp("fast") / "state")
    engine = DynamoDbEngine(journal, account="000000000000", default_region="us-east-1")
    engine.open()
    rng = random.Random(SEED)
    for table, sort_type in (("Strings", "S"), ("Numbers", "N")):
        engine.call(
            "CreateTable",
            {
                "TableName": table,
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": sort_type},
                ],
                "BillingMode": "PAY_PER_REQUEST",
            },
        )
        for index in range(240):
            sort_key = (
                {"S": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}#{index}"}
                if sort_type == "S"
                else {"N": str(rng.choice([index, -index, index * 1.5, 10**index % 997]))}
            )
            item = {"pk": {"S": f"p{index % 3}"}, "sk": sort_key}
            item.update({f"a{i}": attribute(rng) for i in range(rng.randint(0, 4))})
            engine.call("PutItem", {"TableName": table, "Item": item})
    yield engine
    journal.close()


def query_pages(engine: DynamoDbEngine, request: dict[str, Any]) -> list[Any]:
    pages, start = [], None
    for _ in range(300):
        reply = engine.handle(
            "us-east-1",
            "DynamoDB_20120810.Query",
            json.dumps({**request, **({"ExclusiveStartKey": start} if start else {})}).encode(),
        )
        pages.append((reply.status, reply.json()))
        start = reply.json().get("LastEvaluatedKey") if reply.ok else None
        if not start:
            return pages
    raise AssertionError("pagination did not end")


def random_query(rng: random.Random, table: str) -> dict[str, Any]:
    def operand() -> dict[str, str]:
        if table == "Strings":
            return {"S": rng.choice(["2026-0", "2026-03", "2026-06-1", "2026-11-28#5", "2027", "1"])}
        return {"N": str(rng.choice([-50, -1, 0, 3, 7.5, 120, 996]))}

    condition, values = "pk = :p", {":p": {"S": rng.choice(["p0", "p1", "p2", "p9"])}}
    shape = rng.choice(["", "=", "<", "<=", ">", ">=", "between", "begins"])
    if shape == "between":
        low, high = sorted([operand(), operand()], key=lambda v: next(iter(v.values())))
        condition += " AND sk BETWEEN :a AND :b"
        values.update({":a": low, ":b": high})
    elif shape == "begins" and table == "Strings":
        condition += " AND begins_with(sk, :a)"
        values[":a"] = operand()
    elif shape and shape != "begins":
        condition += f" AND sk {shape} :a"
        values[":a"] = operand()
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": rng.random() < 0.6,
    }
    if rng.random() < 0.8:
        request["Limit"] = rng.choice([1, 2, 5, 17, 100])
    if rng.random() < 0.2:
        request["FilterExpression"] = "attribute_exists(a0)"
    return request


@pytest.mark.parametrize("table", ["Strings", "Numbers"])
def test_windowed_queries_page_exactly_like_moto(engine: DynamoDbEngine, table: str) -> None:
    rng = random.Random(f"{SEED}-{table}")
    for _ in range(60):
        request = random_query(rng, table)
        fast = query_pages(engine, request)
        with moto_alone():
            slow = query_pages(engine, request)
        assert fast == slow, request


def test_item_reads_reply_exactly_like_motos_serializer(engine: DynamoDbEngine) -> None:
    scan = {"TableName": "Strings", "Limit": 120}
    get = {"TableName": "Strings", "Key": {"pk": {"S": "p1"}, "sk": {"S": "missing"}}}
    some = engine.call("Scan", {"TableName": "Numbers", "Limit": 10})["Items"]
    batch = {"RequestItems": {"Numbers": {"Keys": [{"pk": i["pk"], "sk": i["sk"]} for i in some]}}}
    requests = [("Scan", scan), ("GetItem", get), ("BatchGetItem", batch)]
    requests += [("GetItem", {"TableName": "Numbers", "Key": {"pk": i["pk"], "sk": i["sk"]}}) for i in some]

    def replies() -> list[Any]:
        out = []
        for operation, request in requests:
            reply = engine.handle("us-east-1", f"DynamoDB_20120810.{operation}", json.dumps(request).encode())
            body = reply.json()
            if operation == "BatchGetItem":  # moto returns the keys' items in no fixed order
                body["Responses"]["Numbers"].sort(key=lambda item: json.dumps(item, sort_keys=True))
            out.append((reply.status, body))
        return out

    fast = replies()
    with moto_alone():
        assert replies() == fast
    # The comparison covered every attribute type.
    text = json.dumps(fast)
    for kind in ("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "M", "L"):
        assert f'{{"{kind}": ' in text, kind


def test_a_query_after_writes_sees_them(engine: DynamoDbEngine, tmp_path: Path) -> None:
    request = {
        "TableName": "Strings",
        "KeyConditionExpression": "pk = :p AND sk > :a",
        "ExpressionAttributeValues": {":p": {"S": "p2"}, ":a": {"S": "2026-12-31"}},
    }
    before = engine.call("Query", request)["Items"]
    engine.call(
        "PutItem", {"TableName": "Strings", "Item": {"pk": {"S": "p2"}, "sk": {"S": "2026-12-31#new"}}}
    )
    after = engine.call("Query", request)["Items"]
    assert [item["sk"]["S"] for item in after] == sorted([*(i["sk"]["S"] for i in before), "2026-12-31#new"])
    engine.call(
        "DeleteItem", {"TableName": "Strings", "Key": {"pk": {"S": "p2"}, "sk": {"S": "2026-12-31#new"}}}
    )
    assert engine.call("Query", request)["Items"] == before
