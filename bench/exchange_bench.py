"""CPU per API destination invocation: the `Connection: close` exchange of `vcn.eventbridge.http_exchange`
against an aiohttp client request (the previous implementation), to the same sink, in the same process.

Run: `.venv/bin/python -m bench.exchange_bench` (options: --requests, --rounds).

Both clients send the same request (AWS's headers, `Connection: close`, a 110-byte event) one at a time to the
delivery bench's sink (its own process), so each request opens and closes a TCP connection. The figure is this
process's CPU time (user + system) per request; rounds alternate the clients to spread machine noise. It runs
once on asyncio's loop and once on uvloop's (what the local cloud uses when installed).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import uvloop

from bench.delivery_bench import start_process
from vcn.eventbridge.api_destination import AWS_HEADERS
from vcn.eventbridge.http_exchange import exchange

BODY = (
    b'{"version":"0","id":"x","detail-type":"BenchEvent","source":"bench.delivery",'
    b'"detail":{"phase":"x","seq":1}}'
)
HEADERS = {**AWS_HEADERS, "x-api-key": "bench"}

Send = Callable[[], Awaitable[int]]


def via_aiohttp(session: aiohttp.ClientSession, url: str) -> Send:
    async def send() -> int:
        async with session.post(
            url, data=BODY, headers=HEADERS, skip_auto_headers=("Accept",), allow_redirects=False
        ) as response:
            await response.read()
            return response.status

    return send


def via_exchange(url: str) -> Send:
    async def send() -> int:
        return (await exchange("POST", url, headers=HEADERS.items(), body=BODY)).status

    return send


async def cpu_ms_per_request(send: Send, requests: int) -> float:
    for _ in range(50):  # warm up
        assert await send() == 200
    started = time.process_time()
    for _ in range(requests):
        await send()
    return (time.process_time() - started) * 1000 / requests


async def measure(url: str, requests: int, rounds: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"aiohttp request": [], "http_exchange": []}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for _ in range(rounds):
            figures["aiohttp request"].append(await cpu_ms_per_request(via_aiohttp(session, url), requests))
            figures["http_exchange"].append(await cpu_ms_per_request(via_exchange(url), requests))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exchange_bench", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per client per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sink: subprocess.Popen[str] | None = None
    try:
        sink, base_url = start_process(
            "sink", [sys.executable, "-m", "bench.delivery_bench", "--sink-process"]
        )
        url = f"{base_url}/in"
        print(
            f"exchange bench: {args.rounds} rounds of {args.requests} requests per client, Connection: close"
        )
        print("| loop | client | CPU ms/request (median of rounds) | rounds | ratio to aiohttp |")
        print("|---|---|---|---|---|")
        for loop_name, run in (("asyncio", asyncio.run), ("uvloop", uvloop.run)):
            figures = run(measure(url, args.requests, args.rounds))
            baseline = statistics.median(figures["aiohttp request"])
            for client, values in figures.items():
                median = statistics.median(values)
                rounds = ", ".join(f"{value:.3f}" for value in values)
                print(f"| {loop_name} | {client} | {median:.3f} | {rounds} | {median / baseline:.2f}x |")
    finally:
        if sink is not None:
            sink.terminate()
            sink.wait(10)


if __name__ == "__main__":
    main()
