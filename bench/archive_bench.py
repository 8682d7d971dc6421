"""What archiving costs PutEvents, in-process.

Run: `.venv/bin/python -m bench.archive_bench` from the repository root (about 20 seconds).

The same PutEvents request (EventBridgeService's handler: AWS's per-entry checks, event building, routing
through the bus's rule index) on three buses of one service, interleaved round by round so that all see the
same machine noise: a bus without an archive (the baseline), a bus whose archive's pattern matches nothing
(the pattern is evaluated, nothing is written), and a bus whose archive records every event (one SQLite
transaction per request in `<state>/eventbridge-archives.sqlite3`, WAL, synchronous=NORMAL). The buses have
no rules, so no delivery starts. Wall time (SQLite's writes are I/O) and thread CPU time, best of 5 rounds.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.request_validation_bench import entry
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.service import EventBridgeService

ROUNDS = 5
CALLS_PER_ROUND = 1000
BUSES = {"no archive": "plain", "archive, no match": "filtered", "archive records all": "archived"}


def per_call(call: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(CALLS_PER_ROUND):
        call()
    return (time.perf_counter() - wall) / CALLS_PER_ROUND, (time.thread_time() - cpu) / CALLS_PER_ROUND


def request(bus: str, size: int) -> dict[str, Any]:
    return {"Entries": [{**entry(number), "EventBusName": bus} for number in range(size)]}


def main() -> None:
    with tempfile.TemporaryDirectory() as state_dir:
        account, region = LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region
        service = EventBridgeService(account, region, state_dir=Path(state_dir))
        service.resources.restore()
        operations = service._operations
        for bus in BUSES.values():
            arn = operations["CreateEventBus"]({"Name": bus})["EventBusArn"]
            archive = {"ArchiveName": bus, "EventSourceArn": arn}
            if bus == "filtered":
                operations["CreateArchive"]({**archive, "EventPattern": json.dumps({"source": ["nobody"]})})
            elif bus == "archived":
                operations["CreateArchive"](archive)
        print(f"{'request':<16}{'bus':<22}{'wall µs':>9}{'cpu µs':>9}{'x wall':>8}{'x cpu':>7}")
        for size in (1, 10):
            requests = {label: request(bus, size) for label, bus in BUSES.items()}
            results: dict[str, list[tuple[float, float]]] = {label: [] for label in BUSES}
            for _ in range(ROUNDS):
                for label, body in requests.items():
                    results[label].append(per_call(lambda body=body: service._put_events(body)))
            base_wall = min(wall for wall, _ in results["no archive"])
            base_cpu = min(cpu for _, cpu in results["no archive"])
            for label in BUSES:
                wall = min(w for w, _ in results[label])
                cpu = min(c for _, c in results[label])
                print(
                    f"{f'PutEvents x{size}':<16}{label:<22}{wall * 1e6:>9.1f}{cpu * 1e6:>9.1f}"
                    f"{wall / base_wall:>8.2f}{cpu / base_cpu:>7.2f}"
                )
        archived = operations["DescribeArchive"]({"ArchiveName": "archived"})["EventCount"]
        print(f"events archived: {archived}")


if __name__ == "__main__":
    main()
