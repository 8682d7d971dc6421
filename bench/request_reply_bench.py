"""Added latency of the request/reply bridge (`POST /validations`) over the direct synchronous
`POST /configurations/validate`, on `vcn local up` (its own process), p50 and p99.

    .venv/bin/python -m bench.request_reply_bench [--requests 200] [--warmup 20]

Both routes run the same validation rules on the same configuration through the same HTTP API, Lambda
worker pool and JWT authorizer. The bridge adds: a WebSocket connect + IAM subscribe to /requests/<id>,
PutEvents, the ValidationRequested rule -> validation worker (async Lambda) -> PutEvents -> the reply rule
-> API destination -> AppSync HTTP publish -> fan-out -> the waiting function. Requests are sequential
and the two routes alternate, so both see the same machine noise. Target: p99 added <= 50 ms.

The bridge's whole round trip also bounds the smallest `wait` that can ever be answered with 200:
`vehicle_config.replies.MIN_WAIT_SECONDS` must stay above its p99 (the last line says by how much).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from vehicle_config.replies import MIN_WAIT_SECONDS

from tests.support.local_cloud import start_cloud, stop_cloud
from tests.support.request_reply import configuration

TARGET_P99_ADDED_MS = 50.0
CONFIGURATION = configuration("cfg-bench-0001")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def timed_post(session: aiohttp.ClientSession, url: str, token: str, expect: int) -> float:
    started = time.perf_counter()
    async with session.post(
        url, data=json.dumps(CONFIGURATION), headers={"Authorization": f"Bearer {token}"}
    ) as response:
        body: Any = await response.json(content_type=None)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status != expect:
        raise RuntimeError(f"{url} answered {response.status}: {body}")
    return elapsed_ms


async def measure(api: str, token: str, requests: int, warmup: int) -> dict[str, list[float]]:
    direct_url = f"{api}/configurations/validate"
    bridge_url = f"{api}/validations?wait=10"
    samples: dict[str, list[float]] = {"direct": [], "bridge": []}
    async with aiohttp.ClientSession() as session:
        for index in range(warmup + requests):
            direct = await timed_post(session, direct_url, token, 200)
            bridge = await timed_post(session, bridge_url, token, 200)
            if index >= warmup:
                samples["direct"].append(direct)
                samples["bridge"].append(bridge)
    return samples


def report(samples: dict[str, list[float]]) -> None:
    direct, bridge = samples["direct"], samples["bridge"]
    paired = [b - d for b, d in zip(bridge, direct, strict=True)]
    rows = [
        ("baseline: POST /configurations/validate", direct),
        ("POST /validations (request/reply bridge)", bridge),
        ("added, per alternating pair", paired),
    ]
    print(f"requests per route: {len(direct)}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'measurement':44} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'x base p50':>10}")
    base_p50 = percentile(direct, 0.5)
    for name, values in rows:
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"{name:44} {p50:8.1f} {p99:8.1f} {statistics.fmean(values):8.1f} {p50 / base_p50:10.1f}")
    added_p50 = percentile(bridge, 0.5) - base_p50
    added_p99 = percentile(bridge, 0.99) - percentile(direct, 0.99)
    verdict = "met" if added_p99 <= TARGET_P99_ADDED_MS else "MISSED"
    print(
        f"added latency (bridge percentile - baseline percentile): p50 {added_p50:.1f} ms, "
        f"p99 {added_p99:.1f} ms; target p99 <= {TARGET_P99_ADDED_MS:g} ms: {verdict}"
    )
    floor_ms, bridge_p99 = MIN_WAIT_SECONDS * 1000, percentile(bridge, 0.99)
    floor_verdict = "above it" if floor_ms > bridge_p99 else "BELOW IT: raise MIN_WAIT_SECONDS"
    print(
        f"minimum /validations wait {floor_ms:g} ms vs the whole round trip's p99 {bridge_p99:.1f} ms: "
        f"x{floor_ms / bridge_p99:.1f}, {floor_verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vcn-rr-bench-") as folder:
        cloud = start_cloud(Path(folder) / "state", "--log-level", "WARNING")
        try:
            token = cloud.token("analyst-de")
            samples = asyncio.run(measure(cloud.info["api"], token, args.requests, args.warmup))
        finally:
            stop_cloud(cloud)
    report(samples)


if __name__ == "__main__":
    main()
