"""What one request costs the local DynamoDB child, its client and the clock: CPU per request on each side.

Run from the repository root:  .venv/bin/python -m bench.dynamodb_request_bench   (about 30 s)

It starts `python -m vcn.dynamodb` (what `vcn local up` runs) on a fresh state folder and sends, from one
boto3 client in this process, the history recorder's TransactWriteItems (the eventId's guard and the
notification) and then GetItems of those notifications, after a warm-up of each. Measured per request:
wall time, the child's user+system CPU (from /proc) and this process's CPU. `--src DIR` runs the child from
another source tree's `src` (for a before/after on the same machine: `git worktree add /tmp/before <rev>`,
then `--src /tmp/before/src`); run both trees back to back, twice.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from bench.process_cpu import cpu_seconds
from bench.transaction_bench import TABLE, notification_item, recording
from tests.support.local_cloud import free_ports

REQUESTS = 500


def per_request(pid: int, count: int, request: Callable[[int], Any]) -> tuple[float, float, float]:
    """(wall ms, child CPU us, client CPU us) per request."""
    child, own, wall = cpu_seconds(pid), time.process_time(), time.perf_counter()
    for index in range(count):
        request(index)
    return (
        (time.perf_counter() - wall) / count * 1000,
        (cpu_seconds(pid) - child) / count * 1e6,
        (time.process_time() - own) / count * 1e6,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, help="run the child from this source tree's src folder")
    args = parser.parse_args()
    (port,) = free_ports(1)
    env = dict(os.environ)
    if args.src is not None:
        env["PYTHONPATH"] = str(args.src.resolve())
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "vcn.dynamodb", "--host", "127.0.0.1", "--port", str(port)),
            *("--state-dir", tempfile.mkdtemp(prefix="vcn-ddb-request-bench-")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert child.stdout is not None
        ready = json.loads(child.stdout.readline())
        assert ready.get("ready"), ready
        client = boto3.client(
            "dynamodb",
            endpoint_url=ready["url"],
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        written = iter(range(10**9))

        def transact(_: int) -> None:
            client.transact_write_items(**recording(f"{next(written):012d}"))

        def get(index: int) -> None:
            item = notification_item(f"{index:012d}")
            client.get_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})

        print(f"local DynamoDB child from {args.src or 'this tree'}: per request, {REQUESTS} requests")
        print(f"{'request':<22} {'wall ms':>8} {'child CPU us':>13} {'client CPU us':>14}")
        for name, request in (("TransactWriteItems", transact), ("GetItem", get)):
            per_request(child.pid, 50, request)  # warm-up
            rounds = [per_request(child.pid, REQUESTS // 2, request) for _ in range(2)]
            wall, child_cpu, own = (statistics.mean(r[i] for r in rounds) for i in range(3))
            print(f"{name:<22} {wall:>8.2f} {child_cpu:>13.0f} {own:>14.0f}")
    finally:
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
