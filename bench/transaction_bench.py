"""What one TransactWriteItems costs the local DynamoDB as a table grows: undo by item vs moto's table copy.

Run from the repository root:  .venv/bin/python -m bench.transaction_bench   (about 1 minute)

The transaction is the history recorder's: a conditional Put of an `EVENT#<eventId>` guard and a Put of the
notification (`adapters.dynamodb_history`), on a table with the template's key layout. It is applied by the
local DynamoDB's engine in this process (no HTTP: the engine's own cost), once as the engine runs it (a
cancelled transaction puts back the items it named: `vcn.dynamodb.transaction_undo`) and once through
moto's own `transact_write_items`, which deep-copies every table the transaction names first. Baseline in
the same process and table: a PutItem of the same notification. Each size is measured at 1,000, 5,000 and
10,000 items already in the table; median of the rounds, milliseconds per request.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.moto_code_paths import moto_code_paths
from vcn.dynamodb.engine import DynamoDbEngine
from vcn.dynamodb.journal import Journal

TABLE = "History"
SIZES = (1_000, 5_000, 10_000)
NOTIFICATION = '{"type":"ConfigurationValidated","eventId":"e","payload":"' + "x" * 300 + '"}'


def notification_item(serial: str) -> dict[str, Any]:
    return {
        "pk": {"S": "CHANNEL#/markets/DE/VELA"},
        "sk": {"S": f"{serial}#e-{serial}"},
        "notification": {"S": NOTIFICATION},
        "expiresAt": {"N": "1900000000"},
    }


def recording(serial: str) -> dict[str, Any]:
    """The recorder's transaction for one notification."""
    guard = {"pk": {"S": f"EVENT#e-{serial}"}, "sk": {"S": "CHANNEL#/markets/DE/VELA"}}
    return {
        "TransactItems": [
            {"Put": {"TableName": TABLE, "Item": guard, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": TABLE, "Item": notification_item(serial)}},
        ]
    }


def per_request_ms(count: int, request: Callable[[int], None]) -> float:
    started = time.perf_counter()
    for index in range(count):
        request(index)
    return (time.perf_counter() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine = DynamoDbEngine(
        Journal.open(Path(tempfile.mkdtemp(prefix="vcn-tx-bench-")) / "state"),
        account="000000000000",
        default_region="us-east-1",
    )
    engine.open()
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    engine.call(
        "CreateTable",
        {
            "TableName": TABLE,
            "KeySchema": keys,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    serials = iter(range(10**9))
    items = 0

    def put(_: int) -> None:
        engine.call("PutItem", {"TableName": TABLE, "Item": notification_item(f"{next(serials):012d}")})

    def transact(_: int) -> None:
        engine.call("TransactWriteItems", recording(f"{next(serials):012d}"))

    print(f"TransactWriteItems on the local DynamoDB engine, ms per request (median of {args.rounds} rounds)")
    header = ("items in table", "PutItem", "undo by item", "moto copy")
    print(f"{header[0]:>14}  {header[1]:>8}  {header[2]:>12}  {header[3]:>10}  x PutItem (undo / copy)")
    for size in SIZES:
        while items < size:
            put(0)
            items += 1
        rounds: dict[str, list[float]] = {"put": [], "undo": [], "copy": []}
        for _ in range(args.rounds):
            rounds["put"].append(per_request_ms(50, put))
            rounds["undo"].append(per_request_ms(50, transact))
            with moto_code_paths(replies=False):
                rounds["copy"].append(per_request_ms(3, transact))
            items += 50 + 2 * 50 + 2 * 3
        put_ms, undo_ms, copy_ms = (statistics.median(rounds[k]) for k in ("put", "undo", "copy"))
        print(
            f"{size:>14,}  {put_ms:>8.2f}  {undo_ms:>12.2f}  {copy_ms:>10.1f}  "
            f"{undo_ms / put_ms:.1f} / {copy_ms / put_ms:.0f}"
        )
    engine.journal.close()


if __name__ == "__main__":
    main()
