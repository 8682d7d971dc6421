"""CPU cost per frame of `vcn.appsync.fanout.Outbox`, on its two paths, against another version of the module.

- direct: the transport has room, `put` writes the frame at once (the fan-out hot path while clients keep up);
- queued: the transport is paused, frames wait in the outbox and its writer task sends them once it resumes
  (where the server-wide `OutboundBudget` keeps its books).

The sink is in memory, so only the outbox's own Python runs. Rounds alternate between the two modules in one
process, so both see the same machine; the figure is thread CPU time per frame, median of the rounds.

Command: `.venv/bin/python -m bench.outbox_bench --compare <path to another fanout.py>`, e.g. the version
before the budget: `git show a0ab6e5:src/vcn/appsync/fanout.py > /tmp/fanout_before.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import time
from collections.abc import Sequence
from types import ModuleType
from typing import Any

FRAME = b'{"type":"data","id":"sub-1","event":"' + b"x" * 200 + b'"}'


class Sink:
    def __init__(self) -> None:
        self.paused = False
        self.resumed = asyncio.Event()
        self.count = 0

    def ready(self) -> bool:
        return not self.paused

    def write(self, frames: Sequence[bytes]) -> None:
        self.count += len(frames)

    async def send(self, frame: bytes) -> None:
        self.count += 1
        if self.paused:
            await self.resumed.wait()


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fanout_under_comparison", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def direct(module: ModuleType, frames: int) -> float:
    sink = Sink()
    outbox: Any = module.Outbox("bench", sink, limit_bytes=1 << 40, on_overflow=print)
    outbox.start()
    start = time.thread_time()
    for _ in range(frames):
        outbox.put(FRAME)
    spent = time.thread_time() - start
    await outbox.close()
    assert sink.count == frames
    return spent / frames


async def queued(module: ModuleType, frames: int) -> float:
    sink = Sink()
    sink.paused = True
    outbox: Any = module.Outbox("bench", sink, limit_bytes=1 << 40, on_overflow=print)
    outbox.start()
    start = time.thread_time()
    for _ in range(frames):
        outbox.put(FRAME)
    sink.paused = False
    sink.resumed.set()
    while outbox.queued_bytes:
        await asyncio.sleep(0)
    spent = time.thread_time() - start
    await outbox.close()
    assert sink.count == frames
    return spent / frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--compare", required=True, help="path of the other fanout.py")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--frames", type=int, default=200_000)
    args = parser.parse_args()
    from vcn.appsync import fanout

    modules = {"this checkout": fanout, "compared": load(args.compare)}
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for name, module in modules.items():
            for path, run in (("direct", direct), ("queued", queued)):
                results.setdefault((name, path), []).append(asyncio.run(run(module, args.frames)))
    print(f"{'path':<8} {'module':<14} {'CPU us/frame (median)':>22}  rounds")
    for path in ("direct", "queued"):
        base = statistics.median(results[("compared", path)])
        for name in modules:
            rounds = results[(name, path)]
            median = statistics.median(rounds)
            print(
                f"{path:<8} {name:<14} {median * 1e6:>14.3f} ({median / base:.2f}x)  "
                + ", ".join(f"{r * 1e6:.3f}" for r in rounds)
            )


if __name__ == "__main__":
    main()
