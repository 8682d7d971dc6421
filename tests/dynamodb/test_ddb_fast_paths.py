"""The local DynamoDB's fast paths answer exactly what moto answers without them.

Query windows (a Query on a table's or a secondary index's keys looks only at the items the page can read),
index projections (KEYS_ONLY and INCLUDE items picked attribute by attribute) and plain-JSON replies for
item reads are checked against moto's own code paths, on the same data: random items of every attribute
type, items missing an index's keys, random key conditions, limits, directions, projections, start keys
(also ones from another partition) and pagination.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_code_paths import moto_code_paths
from vcn.dynamodb.engine import DynamoDbEngine
from vcn.dynamodb.journal import Journal

SEED = 20261129


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


def sort_key_condition(
    shape: str,
    sort_key: str,
    operand: Callable[[], dict[str, str]],
    order: Callable[[dict[str, str]], Any],
    can_begin: bool,
) -> tuple[str, dict[str, Any]]:
    """The sort-key part of a key condition of `shape` (a comparison, "between", "begins" where the key is a
    string, or "" for none) on `sort_key`, with `operand()` values; the text to append and its values."""
    if shape == "between":
        low, high = sorted([operand(), operand()], key=order)
        return f" AND {sort_key} BETWEEN :a AND :b", {":a": low, ":b": high}
    if shape == "begins" and can_begin:
        return f" AND begins_with({sort_key}, :a)", {":a": operand()}
    if shape and shape != "begins":
        return f" AND {sort_key} {shape} :a", {":a": operand()}
    return "", {}


def random_query(rng: random.Random, table: str) -> dict[str, Any]:
    def operand() -> dict[str, str]:
        if table == "Strings":
            return {"S": rng.choice(["2026-0", "2026-03", "2026-06-1", "2026-11-28#5", "2027", "1"])}
        return {"N": str(rng.choice([-50, -1, 0, 3, 7.5, 120, 996]))}

    condition, values = "pk = :p", {":p": {"S": rng.choice(["p0", "p1", "p2", "p9"])}}
    shape = rng.choice(["", "=", "<", "<=", ">", ">=", "between", "begins"])
    on_sort_key, sort_values = sort_key_condition(
        shape, "sk", operand, lambda v: next(iter(v.values())), can_begin=table == "Strings"
    )
    condition += on_sort_key
    values.update(sort_values)
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
        with moto_code_paths():
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
    with moto_code_paths():
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


# Secondary indexes: global ones with and without a sort key, of every projection type, and a local one.
INDEXES = {
    "ByGroupNumber": ("g", ("r", "N"), {"ProjectionType": "ALL"}),
    "ByGroupText": ("g", ("t", "S"), {"ProjectionType": "KEYS_ONLY"}),
    "ByGroupTextInclude": ("g", ("t", "S"), {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a0", "a1"]}),
    "ByGroup": ("g", None, {"ProjectionType": "ALL"}),
    "ByPkNumber": ("pk", ("r", "N"), {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a2"]}),  # local
}


def key_schema(hash_name: str, sort: tuple[str, str] | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    return schema + ([{"AttributeName": sort[0], "KeyType": "RANGE"}] if sort else [])


def indexed_item(rng: random.Random, index: int) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": f"p{index % 3}"}, "sk": {"S": f"{rng.randint(0, 99):02d}#{index}"}}
    if rng.random() < 0.85:  # the rest are in no global index: a sparse index leaves them out
        item["g"] = {"S": rng.choice(["g0", "g1", "g2"])}
    if rng.random() < 0.8:  # few distinct values: items tie on the index sort key
        item["r"] = {"N": str(rng.choice([-3, 0, 1, 2.5, 7, 40, 41]))}
    if rng.random() < 0.8:
        item["t"] = {"S": rng.choice(["a", "ab", "abc", "b", "ba", "c#1", "c#2"])}
    item.update({f"a{i}": attribute(rng) for i in range(rng.randint(0, 4))})
    return item


@pytest.fixture(scope="module")
def indexed(engine: DynamoDbEngine) -> list[dict[str, Any]]:
    """The table `Indexed` (in the engine of the other tests) and the items put into it."""
    engine.call(
        "CreateTable",
        {
            "TableName": "Indexed",
            "KeySchema": key_schema("pk", ("sk", "S")),
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in (("pk", "S"), ("sk", "S"), ("g", "S"), ("r", "N"), ("t", "S"))
            ],
            "GlobalSecondaryIndexes": [
                {"IndexName": name, "KeySchema": key_schema(hash_name, sort), "Projection": projection}
                for name, (hash_name, sort, projection) in INDEXES.items()
                if hash_name != "pk"
            ],
            "LocalSecondaryIndexes": [
                {"IndexName": name, "KeySchema": key_schema(hash_name, sort), "Projection": projection}
                for name, (hash_name, sort, projection) in INDEXES.items()
                if hash_name == "pk"
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    rng = random.Random(f"{SEED}-indexed")
    items = [indexed_item(rng, index) for index in range(300)]
    for item in items:
        engine.call("PutItem", {"TableName": "Indexed", "Item": item})
    return items


def random_index_query(rng: random.Random, items: list[dict[str, Any]]) -> dict[str, Any]:
    name = rng.choice(list(INDEXES))
    hash_name, sort, _ = INDEXES[name]
    hash_values = ["p0", "p1", "p2", "p7"] if hash_name == "pk" else ["g0", "g1", "g2", "g9"]
    condition, values = "#h = :h", {":h": {"S": rng.choice(hash_values)}}
    names = {"#h": hash_name}
    shape = rng.choice(["", "=", "<", "<=", ">", ">=", "between", "begins"]) if sort else ""
    if sort:
        names["#s"] = sort[0]

    def operand() -> dict[str, str]:
        if sort and sort[1] == "N":
            return {"N": str(rng.choice([-5, -3, 0, 2.5, 3, 40, 99]))}
        return {"S": rng.choice(["", "a", "ab", "b", "c", "c#", "c#2", "d"])}

    on_sort_key, sort_values = sort_key_condition(
        shape,
        "#s",
        operand,
        lambda v: Decimal(v["N"]) if "N" in v else v["S"],
        can_begin=sort is not None and sort[1] == "S",
    )
    condition += on_sort_key
    values.update(sort_values)
    request: dict[str, Any] = {
        "TableName": "Indexed",
        "IndexName": name,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": rng.random() < 0.5,
    }
    if rng.random() < 0.8:
        request["Limit"] = rng.choice([1, 2, 3, 7, 25, 100])
    if rng.random() < 0.2:
        request["FilterExpression"] = "attribute_exists(a0)"
    if rng.random() < 0.2:
        request["ProjectionExpression"] = "pk, sk, a1"
    if rng.random() < 0.5:
        # A cursor at any item holding the index's keys: inside the partition, in another, or not a match.
        keys = ["pk", "sk", hash_name, *([sort[0]] if sort else [])]
        candidates = [item for item in items if all(key in item for key in keys)]
        chosen = rng.choice(candidates)
        request["ExclusiveStartKey"] = {key: chosen[key] for key in keys}
        if rng.random() < 0.2:  # a start key that is no item's
            request["ExclusiveStartKey"]["sk"] = {"S": f"{rng.randint(0, 99):02d}"}
    return request


SET_TYPES = ("SS", "NS", "BS")


def sets_sorted(value: Any) -> Any:
    """`value` with the members of every string, number and binary set in one order."""
    if isinstance(value, dict):
        return {key: sorted(item) if key in SET_TYPES else sets_sorted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sets_sorted(item) for item in value]
    return value


def test_windowed_index_queries_page_exactly_like_moto(
    engine: DynamoDbEngine, indexed: list[dict[str, Any]]
) -> None:
    rng = random.Random(f"{SEED}-index-queries")
    shapes = set()
    for _ in range(150):
        request = random_index_query(rng, indexed)
        fast = query_pages(engine, request)
        with moto_code_paths():
            slow = query_pages(engine, request)
        # moto's own projection rebuilds sets through Python sets (an order that changes with the hash seed);
        # DynamoDB's sets have no order, so they are compared as sets
        assert sets_sorted(fast) == sets_sorted(slow), request
        shapes.add((request["IndexName"], len(fast) > 1, fast[0][1].get("Count", 0) > 0))
    # The comparison covered every index, with answers of several pages and with items.
    assert {name for name, paged, found in shapes if paged and found} == set(INDEXES)


def test_an_index_query_after_writes_sees_them(engine: DynamoDbEngine, indexed: list[dict[str, Any]]) -> None:
    request = {
        "TableName": "Indexed",
        "IndexName": "ByGroupNumber",
        "KeyConditionExpression": "g = :g AND r >= :r",
        "ExpressionAttributeValues": {":g": {"S": "g1"}, ":r": {"N": "41"}},
    }

    def keys() -> list[str]:
        return [item["sk"]["S"] for item in engine.call("Query", request)["Items"]]

    before = keys()
    item = {"pk": {"S": "p0"}, "sk": {"S": "zz#new"}, "g": {"S": "g1"}, "r": {"N": "500"}}
    engine.call("PutItem", {"TableName": "Indexed", "Item": item})
    assert keys() == [*before, "zz#new"]
    engine.call(  # moved into another index partition
        "UpdateItem",
        {
            "TableName": "Indexed",
            "Key": {"pk": item["pk"], "sk": item["sk"]},
            "UpdateExpression": "SET g = :g",
            "ExpressionAttributeValues": {":g": {"S": "g2"}},
        },
    )
    assert keys() == before
    engine.call(  # back, then out of the sparse index
        "PutItem", {"TableName": "Indexed", "Item": item}
    )
    engine.call(
        "UpdateItem",
        {"TableName": "Indexed", "Key": {"pk": item["pk"], "sk": item["sk"]}, "UpdateExpression": "REMOVE r"},
    )
    assert keys() == before
    engine.call("DeleteItem", {"TableName": "Indexed", "Key": {"pk": item["pk"], "sk": item["sk"]}})
    assert keys() == before


def test_an_index_page_near_one_megabyte_ends_like_motos(engine: DynamoDbEngine) -> None:
    """moto ends a page where the next item read would pass 1 MB, even one outside the key condition."""
    engine.call(
        "CreateTable",
        {
            "TableName": "Large",
            "KeySchema": key_schema("pk", ("sk", "N")),
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"},
                {"AttributeName": "r", "AttributeType": "N"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "ByGroup",
                    "KeySchema": key_schema("g", ("r", "N")),
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    # Two matching items of 350 kB, a small one, then another 350 kB: 700 + 350 kB passes 1 MB.
    for r, size in enumerate([350_000, 350_000, 100, 350_000, 100]):
        item = {"pk": {"S": "p"}, "sk": {"N": str(r)}, "g": {"S": "big"}, "r": {"N": str(r)}}
        item["blob"] = {"S": "x" * size}
        engine.call("PutItem", {"TableName": "Large", "Item": item})
    rng = random.Random(f"{SEED}-large")
    requests = [
        {
            "TableName": "Large",
            "IndexName": "ByGroup",
            "KeyConditionExpression": "g = :g AND r BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":g": {"S": "big"}, ":a": {"N": "0"}, ":b": {"N": "1"}},
            "ProjectionExpression": "r",
        }
    ]
    for _ in range(20):
        low, high = sorted([rng.randint(0, 4), rng.randint(0, 4)])
        request = json.loads(json.dumps(requests[0]))
        request["ExpressionAttributeValues"].update({":a": {"N": str(low)}, ":b": {"N": str(high)}})
        request["ScanIndexForward"] = rng.random() < 0.5
        requests.append(request)
    for request in requests:
        fast = query_pages(engine, request)
        with moto_code_paths():
            assert query_pages(engine, request) == fast, request
    first = query_pages(engine, requests[0])[0][1]
    assert first["Count"] == 2 and "LastEvaluatedKey" in first  # the case this test is for happened
