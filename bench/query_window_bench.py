"""The local DynamoDB's Query window, in the engine itself: a page of 101 on a table's keys and on a GSI's.

    .venv/bin/python -m bench.query_window_bench [--items 10000] [--rounds 40]

One engine in this process (no HTTP), one table with a global secondary index (INCLUDE projection), every
item in one table partition and one index partition. For random cursors it times the same Query (sort key
BETWEEN cursor AND end, Limit 101, a projection) with moto's own `Table.query` and index projection (the
baseline) and with the window, alternating; then the first Query after a write, which rebuilds the
partition's order. Ratios are against moto's own path for the same Query in the same run.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.moto_code_paths import moto_code_paths

TABLE = "Pages"
BY_GROUP = "ByGroup"


def create(engine: Any, items: int) -> None:
    schema = [{"AttributeName": "sk", "KeyType": "RANGE"}]
    engine.call(
        "CreateTable",
        {
            "TableName": TABLE,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, *schema],
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "group")
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": BY_GROUP,
                    "KeySchema": [{"AttributeName": "group", "KeyType": "HASH"}, *schema],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["body"]},
                }
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    batch = []
    for n in range(items):
        item = {"pk": {"S": "p"}, "sk": {"S": f"{n:010d}"}, "group": {"S": "g"}, "body": {"S": "x" * 400}}
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25 or n == items - 1:
            engine.call("BatchWriteItem", {"RequestItems": {TABLE: batch}})
            batch = []


def page(engine: Any, index: bool, after: int) -> None:
    request: dict[str, Any] = {
        "TableName": TABLE,
        "KeyConditionExpression": f"{'#g' if index else 'pk'} = :p AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {
            ":p": {"S": "g" if index else "p"},
            ":low": {"S": f"{after:010d}"},
            ":high": {"S": "9999999999"},
        },
        "ProjectionExpression": "pk, sk, body",
        "Limit": 101,
    }
    if index:
        request.update(IndexName=BY_GROUP, ExpressionAttributeNames={"#g": "group"})
    reply = engine.handle("us-east-1", "DynamoDB_20120810.Query", json.dumps(request).encode())
    assert reply.ok and len(reply.json()["Items"]) == 101, reply.body[:300]


def cpu_ms(call: Callable[[], None]) -> float:
    started = time.thread_time()
    call()
    return (time.thread_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    from vcn.dynamodb.engine import DynamoDbEngine
    from vcn.dynamodb.journal import Journal

    with tempfile.TemporaryDirectory() as folder:
        journal = Journal.open(Path(folder) / "state")
        engine = DynamoDbEngine(journal, account="000000000000", default_region="us-east-1")
        engine.open()
        create(engine, args.items)
        rng = random.Random(7)
        samples: dict[str, list[float]] = {}
        for round_ in range(args.rounds + 3):
            for index in (False, True):
                kind = "GSI" if index else "table"
                query = functools.partial(page, engine, index, rng.randrange(0, args.items - 101))
                with moto_code_paths(replies=False):  # moto's own Table.query and index projection
                    moto = cpu_ms(query)
                query()  # the order, stale since the last round's write, is built here
                window = cpu_ms(query)
                engine.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "other"}, "sk": {"S": "x"}}})
                rebuilt = cpu_ms(query)
                if round_ >= 3:  # warm-up
                    samples.setdefault(f"{kind}: moto's own Query", []).append(moto)
                    samples.setdefault(f"{kind}: window", []).append(window)
                    samples.setdefault(f"{kind}: window, first Query after a write", []).append(rebuilt)
        journal.close()

    print(f"\nQuery, a page of 101 among {args.items:,} items ({args.rounds} rounds), CPU ms of this thread")
    print(f"{'measurement':44} {'p50':>8} {'p90':>8} {'p50 / moto':>11}")
    for name, values in samples.items():
        baseline = statistics.median(samples[name.split(":")[0] + ": moto's own Query"])
        p50 = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        print(f"{name:44} {p50:8.2f} {p90:8.2f} {p50 / baseline:10.2f}x")


if __name__ == "__main__":
    main()
