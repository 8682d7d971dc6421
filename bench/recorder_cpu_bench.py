"""Where a recording's CPU goes: the history recorder's handler in one process, against the local DynamoDB.

Run from the repository root:  .venv/bin/python -m bench.recorder_cpu_bench   (about 15 seconds)

The application's OnPublish handler (`handlers.history_recorder`, with the environment the local cloud's
worker gives it: template.yaml's variables and the local endpoints) is imported into this process and called
with AppSync's EVENT-mode request for a publish of one notification (a ConfigurationValidated with every
field it is delivered with, a fresh eventId each), as the local cloud's worker calls it. Its store writes to
the template's history table on a local DynamoDB child (one TransactWriteItems per notification, journaled
and fsync'd). Measured, in rounds that alternate:
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
from pathlib import Path
from typing import Any

from bench.appsync_bench import ROOT
from bench.dynamodb_request_bench import per_request
from bench.event_handler_bench import RECORDER, application_stack, history_store
from tests.support.history import notification, publish_request
from vcn.lambda_runtime.environment import worker_environment
from vcn.local.aws_env import function_environment

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=500, help="recordings per round (default 500)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each variant (default 4)")
    args = parser.parse_args()
    if args.calls < 1 or args.rounds < 1:
        parser.error("--calls and --rounds must be at least 1")

    stack = application_stack()
    recorder = next(f for f in stack.functions if f.name == RECORDER)
    (table,) = stack.dynamodb_tables
    loop = asyncio.new_event_loop()
    store, client = loop.run_until_complete(history_store(Path(tempfile.mkdtemp()) / "state", table))
    # what the local cloud's worker for this function would be given
    os.environ.update(
        worker_environment(recorder, function_environment("http://127.0.0.1:9", dynamodb_url=store.url))
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
                _, theirs, own = per_request(store.pid, args.calls, lambda _: record())
                handler_cpu[variant].append(own)
                if variant == "request":
                    child_cpu.append(theirs)
        history.table.client = real
    finally:
        sys.stdout.close()
        sys.stdout = logs
        loop.run_until_complete(client.close())
        loop.run_until_complete(store.stop())

    with_request = statistics.median(handler_cpu["request"])
    without = statistics.median(handler_cpu["stub"])
    child = statistics.median(child_cpu)
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
