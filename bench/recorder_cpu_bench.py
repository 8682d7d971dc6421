"""Where a recording's CPU goes: the history recorder's handler in one process, against the local DynamoDB.

Run from the repository root:  .venv/bin/python -m bench.recorder_cpu_bench   (about 30 seconds)

The application's OnPublish handler (`handlers.history_recorder`, with template.yaml's environment) is
imported into this process and called with AppSync's EVENT-mode request for a publish of one notification
(a ConfigurationValidated with every field it is delivered with, a fresh eventId each), as the local cloud's
worker calls it. Its store writes to the template's history table on a local DynamoDB
child (one TransactWriteItems per notification, journaled and fsync'd). Measured, in rounds that alternate:
- the handler's CPU per recording, as it runs;
- the same with the DynamoDB client replaced by a stub that answers at once: the handler's own work
  (Powertools' resolver, logger and metrics, the recording use case) without the request;
- the DynamoDB child's CPU per recording (moto and the journal), from the first variant's rounds.
So the request's share of the worker's CPU is the difference of the first two, in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.appsync_bench import ROOT
from bench.event_handler_bench import RECORDER, _application_stack, _history_store
from bench.process_cpu import cpu_seconds
from tests.support.history import notification, publish_request

CHANNEL = "/markets/DE"


class Context:
    """The `context` argument, with what Powertools reads of it."""

    function_name = RECORDER
    memory_limit_in_mb = "256"
    aws_request_id = "bench"
    invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{RECORDER}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class StubClient:
    """A DynamoDB client that answers every write at once, without a request."""

    def transact_write_items(self, **_: Any) -> dict[str, Any]:
        return {}


def cpu_per_call(call: Callable[[], Any], calls: int, child: int) -> tuple[float, float]:
    """(this process's, the DynamoDB child's) CPU seconds per call."""
    own, theirs = time.process_time(), cpu_seconds(child)
    for _ in range(calls):
        call()
    return (time.process_time() - own) / calls, (cpu_seconds(child) - theirs) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=500, help="recordings per round (default 500)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each variant (default 4)")
    args = parser.parse_args()
    if args.calls < 1 or args.rounds < 1:
        parser.error("--calls and --rounds must be at least 1")

    stack = _application_stack()
    recorder = next(f for f in stack.functions if f.name == RECORDER)
    (table,) = stack.dynamodb_tables
    loop = asyncio.new_event_loop()
    store, client = loop.run_until_complete(_history_store(Path(tempfile.mkdtemp()) / "state", table))
    os.environ.update(recorder.environment)
    os.environ.update(
        AWS_ENDPOINT_URL_DYNAMODB=store.url,
        AWS_DEFAULT_REGION=recorder.region,
        AWS_REGION=recorder.region,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_LAMBDA_FUNCTION_NAME=RECORDER,
        POWERTOOLS_TRACE_DISABLED="true",
    )
    sys.path.insert(0, str(ROOT / "functions"))
    logs, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - the handler's log lines
    try:
        module = importlib.import_module("handlers.history_recorder")
        history = module.history()
        real = history.table.client

        def record() -> Any:
            return module.handler(publish_request(CHANNEL, [notification()]), Context())

        for _ in range(50):  # warm: the client's connection, the first table pages
            record()
        assert store.pid is not None
        handler_cpu: dict[str, list[float]] = {"request": [], "stub": []}
        child_cpu: list[float] = []
        for _ in range(args.rounds):
            for variant in ("request", "stub"):
                history.table.client = real if variant == "request" else StubClient()
                own, theirs = cpu_per_call(record, args.calls, store.pid)
                handler_cpu[variant].append(own)
                if variant == "request":
                    child_cpu.append(theirs)
        history.table.client = real
    finally:
        sys.stdout.close()
        sys.stdout = logs
        loop.run_until_complete(client.close())
        loop.run_until_complete(store.stop())

    with_request = statistics.median(handler_cpu["request"]) * 1e6
    without = statistics.median(handler_cpu["stub"]) * 1e6
    child = statistics.median(child_cpu) * 1e6
    print(
        f"History recorder in one process (Python {sys.version.split()[0]}, {args.rounds} rounds of "
        f"{args.calls} recordings per variant, medians; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"  handler CPU per recording, with the DynamoDB request:   {with_request:7,.0f} us")
    print(f"  handler CPU per recording, client stubbed (no request): {without:7,.0f} us")
    print(f"  DynamoDB child CPU per recording:                       {child:7,.0f} us")
    total = with_request + child
    print(
        f"  the request's share of the recording's CPU (worker's part and the child's): "
        f"{(with_request - without + child) / total:.0%} of {total:,.0f} us"
    )


if __name__ == "__main__":
    main()
