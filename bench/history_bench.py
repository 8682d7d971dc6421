"""`GET /notifications` latency: a page of 100 from a channel of 10,000, through the handler, p50 and p99.

    .venv/bin/python -m bench.history_bench [--notifications 10000] [--requests 200] [--warmup 20]
                                            [--store local|moto]

The table, built from template.yaml's definition, lives in the local cloud's own DynamoDB (`--store local`,
the default: `python -m vcn.dynamodb` as a child process, as `vcn local up` runs it, with its Query fast
path) or in moto's DynamoDB in this process (`--store moto`: `mock_aws`, moto's own code paths). The
history API handler (`handlers.history_api.handler`: Powertools resolver, JWT claims -> grants ->
`may_subscribe`, parameter parsing, the DynamoDB adapter, JSON) answers HTTP API events for random cursors
across the channel. Three measurements alternate request by request, so they share the machine's noise:
- baselines: one raw boto3 `Query` of the same 101 items, on the table and on the `ByPrefix2` index (the
  floor: moto's own Query);
- the handler on the exact channel `/markets/DE/VELA` and on the pattern `/markets/DE/*` (the `ByPrefix2`
  index, where the same 10,000 sit);
- the handler's own cost: each handler request minus the raw Query of the same page just before it.
Target: handler p99 <= 25 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.function_environment import use_function_environment

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"
TARGET_P99_MS = 25.0
CHANNEL = "/markets/DE/VELA"
CLAIMS = {"sub": "analyst-de", "markets": "[DE FR]", "plants": "[WOB]"}


@dataclass(frozen=True)
class Sample:
    wall: float  # milliseconds
    cpu: float  # milliseconds of this thread's CPU: what other jobs on a shared machine do not inflate


def timed(call: Callable[[], Any]) -> tuple[Sample, Any]:
    wall, cpu = time.perf_counter(), time.thread_time()
    result = call()
    return Sample((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000), result


def minus(a: Sample, b: Sample) -> Sample:
    return Sample(a.wall - b.wall, a.cpu - b.cpu)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextlib.contextmanager
def dynamodb_store(store: str) -> Iterator[Any]:
    """A boto3 DynamoDB client on the chosen store, for as long as the block runs."""
    import boto3

    if store == "moto":
        from moto import mock_aws

        with mock_aws():
            yield boto3.client("dynamodb", region_name="us-east-1")
        return
    from bench.dynamodb_bench import Child

    with tempfile.TemporaryDirectory() as folder:
        child = Child(Path(folder))
        try:
            yield boto3.client("dynamodb", region_name="us-east-1", endpoint_url=child.url)
        finally:
            child.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--store", choices=("local", "moto"), default="local")
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # a log line per request would be measured too
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # and so would its metrics blob
    use_function_environment()
    sys.path.insert(0, str(FUNCTIONS))
    with dynamodb_store(args.store) as client:
        from adapters.dynamodb_history import DynamoDbHistory, notification_item
        from adapters.history_table import HistoryTable
        from handlers import history_api
        from vehicle_config.history.ports import HistoryEntry
        from vehicle_config.history.positions import Position
        from vehicle_config.history.reading import SETTLE_MICROS

        from tests.support.dynamodb import create_table_request, template_table
        from tests.support.history import http_request, notification
        from tests.support.lambda_functions import FakeLambdaContext

        client.create_table(**create_table_request(template_table(), "history-bench"))
        store = DynamoDbHistory(HistoryTable("history-bench", client))
        start = time.time_ns() // 1000 - 3600 * 1_000_000
        positions = []
        items = []
        for n in range(args.notifications):
            payload = notification(event_id=str(uuid.uuid4()))
            position = Position(start + n * 100, payload["eventId"])
            items.append(notification_item(HistoryEntry(CHANNEL, position, json.dumps(payload), 2**31)))
            positions.append(position)
        # Seeded with the adapter's own item layout; BatchWriteItem because moto copies the whole table
        # on each TransactWriteItems (for rollback), which would make seeding quadratic.
        for first in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
            assert not client.batch_write_item(RequestItems={"history-bench": batch}).get("UnprocessedItems")
        store.record(HistoryEntry(CHANNEL, Position(start - 1, "recorded-by-the-adapter"), "{}", 2**31))

        history_api.history = lambda: store  # type: ignore[assignment]
        history_api.now_micros = lambda: start + args.notifications * 100 + SETTLE_MICROS  # type: ignore[assignment]
        context = FakeLambdaContext()
        rng = random.Random(15)

        def handler(channel: str, after: Position) -> Sample:
            event = http_request(
                "GET",
                "/notifications",
                {"channel": channel, "after": after.cursor, "limit": "100"},
                claims=CLAIMS,
            )
            sample, response = timed(lambda: history_api.handler(event, context))
            body = json.loads(response["body"])
            assert response["statusCode"] == 200 and len(body["items"]) == 100, response
            return sample

        def raw_query(after: Position, index: str | None) -> Sample:
            key = "prefix2" if index else "pk"
            request: dict[str, Any] = {
                "TableName": "history-bench",
                "KeyConditionExpression": f"{key} = :p AND sk BETWEEN :lower AND :upper",
                "ExpressionAttributeValues": {
                    ":p": {"S": "/markets/DE" if index else "CHANNEL#" + CHANNEL},
                    ":lower": {"S": after.key + " "},
                    ":upper": {"S": "9999999999999999#~"},
                },
                "ProjectionExpression": "pk, sk, notification",
                "Limit": 101,
            }
            if index:
                request["IndexName"] = index
            sample, response = timed(lambda: client.query(**request))
            assert len(response["Items"]) == 101
            return sample

        samples: dict[str, list[Sample]] = {
            "baseline: raw Query, table": [],
            "baseline: raw Query, ByPrefix2": [],
            "handler, channel": [],
            "handler, pattern /markets/DE/*": [],
        }
        for index in range(args.warmup + args.requests):
            after = positions[rng.randrange(0, args.notifications - 101)]
            measured = (
                raw_query(after, None),
                raw_query(after, "ByPrefix2"),
                handler(CHANNEL, after),
                handler("/markets/DE/*", after),
            )
            if index >= args.warmup:
                for name, value in zip(samples, measured, strict=True):
                    samples[name].append(value)

    table, index, channel, pattern = samples.values()
    # The handler's own cost: each request minus the raw Query of the same page measured just before it.
    samples["handler - baseline, channel"] = [minus(h, b) for h, b in zip(channel, table, strict=True)]
    samples["handler - baseline, pattern"] = [minus(h, b) for h, b in zip(pattern, index, strict=True)]
    base_p99 = percentile([s.wall for s in table], 0.99)
    print(
        f"\nGET /notifications, page of 100 from {args.notifications:,} ({args.requests} requests,"
        f" store {args.store}), ms"
    )
    print(
        f"{'measurement':34} {'wall p50':>9} {'wall p99':>9} {'cpu p50':>8} {'cpu p99':>8} {'p99 x base':>11}"
    )
    for name, values in samples.items():
        walls, cpus = [s.wall for s in values], [s.cpu for s in values]
        print(
            f"{name:34} {percentile(walls, 0.5):9.2f} {percentile(walls, 0.99):9.2f}"
            f" {percentile(cpus, 0.5):8.2f} {percentile(cpus, 0.99):8.2f}"
            f" {percentile(walls, 0.99) / base_p99:11.2f}"
        )
    worst = max(percentile([s.wall for s in values], 0.99) for values in (channel, pattern))
    verdict = "met" if worst <= TARGET_P99_MS else "NOT met"
    print(f"target handler p99 <= {TARGET_P99_MS:g} ms (wall): {verdict} ({worst:.2f} ms)")


if __name__ == "__main__":
    main()
