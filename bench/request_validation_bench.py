"""What validating requests against botocore's EventBridge model costs PutEvents, in-process.

Run: `.venv/bin/python -m bench.request_validation_bench` from the repository root (a few seconds).

The local EventBridge checks every request against the service model before its handler runs
(`vcn.eventbridge.operations`). Measured: PutEvents through the operation table (validation + handler)
against its baseline in the same run, the handler alone (`EventBridgeService._put_events`: AWS's per-entry
checks, event building, routing through the bus's rule index). The bus has 20 rules, none matching, so no
delivery is started and the numbers are the request path only. Entries carry a detail of about 400 bytes, as
this project's events do. CPU time of the thread, best of 5 rounds interleaved so that both see the same
machine noise.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.request_validation import validate_request
from vcn.eventbridge.service import EventBridgeService

ROUNDS = 5
CALLS_PER_ROUND = 2000


def entry(number: int) -> dict[str, Any]:
    detail = {
        "configurationId": f"cfg-{number:06d}",
        "market": "DE",
        "modelLine": "VELA",
        "plant": "ZWI",
        "outcome": "VALID_WITH_WARNINGS",
        "violationCount": 0,
        "warningCount": 2,
        "submittedBy": "analyst-de",
        "priority": "NORMAL",
        "notes": "x" * 180,
    }
    return {
        "Source": "bench.validation",
        "DetailType": "ConfigurationValidated",
        "Detail": json.dumps(detail),
        "EventBusName": "bench",
        "Resources": [f"arn:aws:bench:::configuration/cfg-{number:06d}"],
    }


def cpu_per_call(call: Callable[[], object]) -> float:
    start = time.thread_time()
    for _ in range(CALLS_PER_ROUND):
        call()
    return (time.thread_time() - start) / CALLS_PER_ROUND


def main() -> None:
    with tempfile.TemporaryDirectory() as state_dir:
        service = EventBridgeService(
            LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region, state_dir=Path(state_dir)
        )
        operations = service._operations
        operations["CreateEventBus"]({"Name": "bench"})
        for number in range(20):
            pattern = {"source": ["bench.validation"], "detail-type": [f"Other{number}"]}
            operations["PutRule"](
                {"Name": f"r{number}", "EventBusName": "bench", "EventPattern": json.dumps(pattern)}
            )
        print(f"{'request':<22}{'handler µs':>12}{'validated µs':>14}{'validation µs':>15}{'x handler':>11}")
        for size in (1, 10):
            request = {"Entries": [entry(number) for number in range(size)]}
            assert operations["PutEvents"](request)["FailedEntryCount"] == 0
            handler: list[float] = []
            validated: list[float] = []
            alone: list[float] = []
            for _ in range(ROUNDS):
                handler.append(cpu_per_call(lambda request=request: service._put_events(request)))
                validated.append(cpu_per_call(lambda request=request: operations["PutEvents"](request)))
                alone.append(cpu_per_call(lambda request=request: validate_request("PutEvents", request)))
            base, full, check = min(handler) * 1e6, min(validated) * 1e6, min(alone) * 1e6
            print(f"{f'PutEvents x{size}':<22}{base:>12.1f}{full:>14.1f}{check:>15.1f}{full / base:>11.2f}")


if __name__ == "__main__":
    main()
