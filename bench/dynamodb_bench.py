"""Local DynamoDB benchmark: start-up cost, request latency, and what it costs the local cloud's event loop.

Run from the repository root:  .venv/bin/python -m bench.dynamodb_bench   (about 3 minutes; --quick: 1)

Two ways to run moto's DynamoDB beside the local cloud are compared, each with the journal on:
- child: `python -m vcn.dynamodb` in its own process (what `vcn local up` does);
- in-process: the same engine and HTTP server in a thread of the measuring process (what
  `moto.server.ThreadedMotoServer` would do).
Baselines in the same run: for latency, boto3 against the same HTTP server answering every request with
a canned `{}` (the HTTP + SDK floor any emulator pays); for start-up, a bare interpreter; for the event
loop, the same loop with no DynamoDB in the process.

Measured:
1. start-up: spawn -> ready (child); import + open + listen in a fresh interpreter (in-process);
   `vcn local up` -> local.json for one template with and one without a table; the child's start with a
   journal of 10,000 items, compacted and not;
2. latency (boto3, p50/p99): GetItem, PutItem (journaled, fsync'd), and Query for a page of 100 items after
   a cursor in the middle of a 10,000-item partition;
3. event-loop lag in the measuring process (an asyncio timer every 1 ms; lag = lateness) while another
   process sends PutItems as fast as one client can.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import boto3

from tests.support.moto_code_paths import moto_code_paths

ROOT = Path(__file__).resolve().parents[1]
PARTITION = "channel-main"


def client(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# ------------------------------------------------------------------------------------------ the services
class Child:
    """`python -m vcn.dynamodb` as the local cloud starts it."""

    def __init__(self, state_dir: Path, *extra: str) -> None:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vcn.dynamodb", "--port", "0", "--state-dir", str(state_dir),
             "--stop-on-stdin-eof", "--log-level", "WARNING", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
        )  # fmt: skip
        assert self.process.stdout is not None
        ready = json.loads(self.process.stdout.readline())
        self.start_seconds = time.perf_counter() - started
        self.url = str(ready["url"])
        self.pid = self.process.pid

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


class InProcess:
    """The same engine and server in a thread of this process (moto state is per process: one at a time)."""

    def __init__(self, state_dir: Path) -> None:
        from vcn.dynamodb.engine import DynamoDbEngine
        from vcn.dynamodb.http_server import DynamoDbHttpServer, dynamodb_answer
        from vcn.dynamodb.journal import Journal

        self.journal = Journal.open(state_dir)
        engine = DynamoDbEngine(self.journal, account="000000000000", default_region="us-east-1")
        engine.open()
        self.server = DynamoDbHttpServer(socket.create_server(("127.0.0.1", 0)), dynamodb_answer(engine))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.journal.close()


class Canned:
    """The baseline: the local DynamoDB's own HTTP server answering `{}` to everything, so the SDK and HTTP
    costs alone are measured."""

    def __init__(self) -> None:
        from vcn.dynamodb.engine import Reply
        from vcn.dynamodb.http_server import DynamoDbHttpServer

        def canned(method: str, path: str, headers: Any, body: bytes) -> Reply:
            return Reply(200, [("Content-Type", "application/x-amz-json-1.0")], b"{}")

        self.server = DynamoDbHttpServer(socket.create_server(("127.0.0.1", 0)), canned)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()


# ------------------------------------------------------------------------------------------ data
def create_history(ddb: Any) -> None:
    ddb.create_table(
        TableName="History",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def item(partition: str, index: int) -> dict[str, Any]:
    return {
        "pk": {"S": partition},
        "sk": {"S": f"2026-11-29T10:{index // 600 % 60:02d}:{index // 10 % 60:02d}.{index:06d}Z#evt-{index}"},
        "notification": {
            "S": json.dumps({"type": "Validated", "eventId": f"evt-{index}", "priority": "HIGH"})
        },
        "expiresAt": {"N": str(2_000_000_000 + index)},
    }


def fill(ddb: Any, count: int) -> None:
    create_history(ddb)
    for start in range(0, count, 25):
        batch = [{"PutRequest": {"Item": item(PARTITION, i)}} for i in range(start, min(count, start + 25))]
        ddb.batch_write_item(RequestItems={"History": batch})
    for other in range(200):  # other partitions beside the big one
        ddb.put_item(TableName="History", Item=item(f"channel-{other}", other))


# ------------------------------------------------------------------------------------------ 1. start-up
def start_up(work: Path, rounds: int, items: int) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    floor = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "print('ready')"], capture_output=True, check=True)
        floor.append(time.perf_counter() - started)
    rows.append(("baseline: python -c print (spawn -> output)", statistics.median(floor), 1.0))
    child = []
    for index in range(rounds):
        service = Child(work / f"empty-{index}")
        child.append(service.start_seconds)
        service.stop()
    rows.append(("child: spawn -> ready, empty journal", statistics.median(child), 0.0))
    script = textwrap.dedent(
        f"""
        import time, threading
        started = time.perf_counter()
        import socket
        from vcn.dynamodb.engine import DynamoDbEngine
        from vcn.dynamodb.http_server import DynamoDbHttpServer, dynamodb_answer
        from vcn.dynamodb.journal import Journal
        journal = Journal.open({str(work / "inproc")!r})
        engine = DynamoDbEngine(journal, account="0", default_region="us-east-1")
        engine.open()
        listener = socket.create_server(("127.0.0.1", 0))
        server = DynamoDbHttpServer(listener, dynamodb_answer(engine))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(time.perf_counter() - started)
        """
    )
    inproc = [
        float(
            subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(rounds)
    ]
    rows.append(
        ("in-process: import + open + listen (in a running interpreter)", statistics.median(inproc), 0.0)
    )

    # a journal of `items` items, as written one PutItem at a time, then compacted by a start
    state = work / "big"
    service = Child(state, "--compact-after-entries", str(10 * items))
    ddb = client(service.url)
    create_history(ddb)
    for index in range(items):
        ddb.put_item(TableName="History", Item=item(PARTITION, index))
    service.process.kill()  # as after kill -9: a clean stop would have compacted the journal
    service.process.wait()
    uncompacted = Child(state, "--compact-after-entries", str(10 * items))
    uncompacted.process.kill()
    uncompacted.process.wait()
    rows.append((f"child: spawn -> ready, journal of {items:,} PutItems", uncompacted.start_seconds, 0.0))
    compacting = Child(state, "--compact-after-entries", "100")
    rows.append(("child: same, and compacting it", compacting.start_seconds, 0.0))
    compacting.stop()
    compacted = Child(state)
    rows.append((f"child: spawn -> ready, compacted journal ({items:,} items)", compacted.start_seconds, 0.0))
    compacted.stop()
    return [(name, seconds, seconds / rows[0][1]) for name, seconds, _ in rows]


def local_up(work: Path, rounds: int) -> list[tuple[str, float]]:
    """`vcn local up` -> local.json, for one template with and one without a table (else identical)."""
    app = work / "app"
    shutil.copytree(ROOT / "tests" / "dynamodb" / "notes_app", app)
    with_table = (app / "template.yaml").read_text()
    without = with_table.split("  Notes:\n", 1)[0] + "  Writer:\n" + with_table.split("  Writer:\n", 1)[1]
    without = without.replace("TABLE_NAME: !Ref Notes", "TABLE_NAME: none").split("Outputs:")[0]
    (app / "without.yaml").write_text(without)
    times: dict[str, list[float]] = {"template without a table": [], "template with a table": []}
    vcn = str(ROOT / ".venv" / "bin" / "vcn")
    for index in range(rounds):  # alternated, so machine load affects both alike
        for label, template in (
            ("template without a table", "without.yaml"),
            ("template with a table", "template.yaml"),
        ):
            state = work / f"up-{index}-{template}"
            started = time.perf_counter()
            process = subprocess.Popen(
                [vcn, "local", "up", "--template", str(app / template), "--state-dir", str(state),
                 "--api-port", "0", "--eventbridge-port", "0", "--appsync-port", "0", "--dynamodb-port", "0",
                 "--no-tls", "--log-level", "WARNING"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            while not (state / "local.json").exists():
                if process.poll() is not None:
                    raise RuntimeError(f"vcn local up exited with {process.returncode}")
                time.sleep(0.01)
            times[label].append(time.perf_counter() - started)
            process.terminate()
            process.wait(timeout=60)
    return [(label, statistics.median(values)) for label, values in times.items()]


# ------------------------------------------------------------------------------------------ 2. latency
def latency(url: str, rounds: int, items: int) -> dict[str, tuple[float, float]]:
    ddb = client(url)
    cursor = item(PARTITION, items // 2)["sk"]

    def get() -> None:
        ddb.get_item(TableName="History", Key={"pk": {"S": PARTITION}, "sk": cursor})

    def put() -> None:
        ddb.put_item(TableName="History", Item=item("channel-writes", 1))

    def page() -> None:
        ddb.query(
            TableName="History",
            KeyConditionExpression="pk = :p AND sk > :c",
            ExpressionAttributeValues={":p": {"S": PARTITION}, ":c": cursor},
            Limit=100,
        )

    results = {}
    for name, call, count in (
        ("GetItem", get, rounds),
        ("PutItem", put, rounds),
        ("Query 100", page, max(10, rounds // 5)),
    ):
        for _ in range(10):
            call()
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        results[name] = percentiles(samples)
    return results


# ------------------------------------------------------------------------------------------ 3. loop lag
def _hammer(url: str, seconds: float, done: Any) -> None:
    ddb = client(url)
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        ddb.put_item(TableName="History", Item=item("channel-load", sent))
        sent += 1
    done.value = sent


def loop_lag(url: str | None, seconds: float) -> tuple[float, float, float, float]:
    """p50, p99, max lateness (ms) of a 1 ms asyncio timer here, and PutItems/s sent meanwhile."""
    context = multiprocessing.get_context("spawn")
    sent = context.Value("i", 0)
    load = context.Process(target=_hammer, args=(url, seconds, sent)) if url else None
    if load is not None:
        load.start()
        time.sleep(1.0)  # the load generator's own start-up

    async def measure() -> list[float]:
        lateness = []
        deadline = time.monotonic() + seconds - (1.0 if load is not None else 0.0)
        while time.monotonic() < deadline:
            before = time.monotonic()
            await asyncio.sleep(0.001)
            lateness.append((time.monotonic() - before - 0.001) * 1000)
        return lateness

    samples = asyncio.run(measure())
    if load is not None:
        load.join()
    p50, p99 = percentiles(samples)
    return p50, p99, max(samples), sent.value / seconds


# ------------------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, items, lag_seconds = (3, 2000, 3.0) if args.quick else (5, 10_000, 6.0)
    print(f"Local DynamoDB benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{'quick' if args.quick else 'full'} run, load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="vcn-ddb-bench-") as folder:
        work = Path(folder)
        print(f"\n1. start-up (median of {rounds}), seconds")
        for name, seconds, ratio in start_up(work, rounds, items):
            print(f"  {name:<66} {seconds:7.3f}  x{ratio:5.1f} of the bare interpreter")
        ups = local_up(work, max(3, rounds - 2))
        for name, seconds in ups:
            print(f"  vcn local up -> local.json, {name:<36} {seconds:7.3f}")
        print(f"  the table costs vcn local up {ups[1][1] - ups[0][1]:+.3f} s")

        print(
            f"\n2. latency, ms (p50 / p99); Query: a page of 100 after a cursor in a {items:,}-item partition"
        )
        canned = Canned()
        floor = latency_canned(canned.url, rounds * 60)
        canned.stop()
        child = Child(work / "latency-child")
        fill(client(child.url), items)
        measured = {"child process": latency(child.url, rounds * 60, items)}
        inproc = InProcess(work / "latency-inproc")
        fill(client(inproc.url), items)
        measured["in-process thread"] = latency(inproc.url, rounds * 60, items)
        with moto_code_paths():  # the same in-process service without its fast paths: moto's own code
            measured["in-process, moto's own paths"] = latency(inproc.url, rounds * 6, items)
        print(f"  {'baseline: canned {} reply':<30} any request {floor[0]:7.2f} / {floor[1]:7.2f}")
        for name, figures in measured.items():
            cells = "   ".join(f"{op} {p50:7.2f} / {p99:7.2f}" for op, (p50, p99) in figures.items())
            print(f"  {name:<30} {cells}")
        fast = measured["in-process thread"]["Query 100"]
        slow = measured["in-process, moto's own paths"]["Query 100"]
        print(f"  Query 100 in-process, moto's own paths / fast paths: p50 x{slow[0] / fast[0]:.1f}")

        print(
            f"\n3. event-loop lag in this process while another process sends PutItems ({lag_seconds:.0f} s)"
        )
        rows = [("baseline: no DynamoDB in this process, idle", loop_lag(None, lag_seconds))]
        rows.append(("DynamoDB as a child process, under load", loop_lag(child.url, lag_seconds)))
        rows.append(("DynamoDB in a thread of this process, under load", loop_lag(inproc.url, lag_seconds)))
        for name, (p50, p99, worst, rate) in rows:
            load = f"{rate:6.0f} PutItem/s" if rate else ""
            print(f"  {name:<52} lag p50 {p50:6.2f}  p99 {p99:6.2f}  max {worst:7.2f} ms  {load}")
        child.stop()
        inproc.stop()


def latency_canned(url: str, rounds: int) -> tuple[float, float]:
    ddb = client(url)
    samples = []
    for index in range(rounds + 10):
        started = time.perf_counter()
        ddb.get_item(TableName="History", Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
        if index >= 10:
            samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


if __name__ == "__main__":
    main()
