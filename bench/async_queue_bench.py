"""What the durable queue of asynchronous invocations costs its callers, paired in one process.

Run from the repository root:  .venv/bin/python -m bench.async_queue_bench   (about 15 seconds;
`--invocations 500 --rounds 4` for a quick look)

Two `LambdaRuntime`s run the same no-op function in a real warm worker: one keeps every accepted invocation in
`AsyncInvocationQueue` (SQLite, WAL, synchronous=NORMAL, as `vcn local up` does), one keeps them in memory
only (as before). Each round makes `--invocations` asynchronous invocations on one runtime and then on the
other, in alternating order, and times two things:
- `accept`: the time `invoke_async` takes, which is what the caller (the AppSync server's event loop for an
  EVENT-mode OnPublish handler, EventBridge's delivery of a Lambda target) waits for: the queue's INSERT;
- `settle`: from the first call until every invocation ran and was settled (the queue's DELETE included).
Medians of the rounds, and the ratio queue / memory of each.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.function_specs import local_function
from vcn.lambda_runtime import LambdaRuntime
from vcn.lambda_runtime.async_queue import AsyncInvocationQueue, async_queue_path

HANDLER = "def handler(event, context):\n    return None\n"


async def _round(runtime: LambdaRuntime, invocations: int) -> tuple[float, float]:
    """Seconds per invocation spent in invoke_async, and until all settled."""
    accepting = 0.0
    started = time.perf_counter()
    for n in range(invocations):
        before = time.perf_counter()
        await runtime.invoke_async("Noop", {"n": n, "channel": "/orders/eu/42", "events": ["{}"] * 3})
        accepting += time.perf_counter() - before
    await runtime.drain(timeout=120)
    return accepting / invocations, (time.perf_counter() - started) / invocations


async def main(invocations: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        code = Path(folder) / "code"
        code.mkdir()
        (code / "app.py").write_text(HANDLER)
        function = local_function("Noop", code, "app.handler", timeout=10)
        queued = LambdaRuntime([function], queue=AsyncInvocationQueue(async_queue_path(Path(folder) / "s")))
        memory = LambdaRuntime([function])
        for runtime in (queued, memory):
            await runtime.start(prewarm=True)
            await _round(runtime, 50)  # warm-up
        results: dict[str, list[tuple[float, float]]] = {"queue": [], "memory": []}
        for index in range(rounds):
            order = [("queue", queued), ("memory", memory)]
            for name, runtime in order if index % 2 == 0 else reversed(order):
                results[name].append(await _round(runtime, invocations))
        for runtime in (queued, memory):
            await runtime.stop()
    accept = {name: statistics.median(r[0] for r in rows) * 1e6 for name, rows in results.items()}
    settle = {name: statistics.median(r[1] for r in rows) * 1e6 for name, rows in results.items()}
    print(f"{rounds} rounds of {invocations} asynchronous invocations of a no-op function; medians per one")
    print(f"{'':8} {'accept us':>10} {'settle us':>10}")
    for name in ("memory", "queue"):
        print(f"{name:8} {accept[name]:10.1f} {settle[name]:10.1f}")
    ratios = accept["queue"] / accept["memory"], settle["queue"] / settle["memory"]
    print(f"{'ratio':8} {ratios[0]:10.2f} {ratios[1]:10.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.invocations, arguments.rounds))
