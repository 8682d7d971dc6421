"""PutEvents -> API destination -> local sink: delivered events/s and put-to-receive latency on loopback.

Run: `.venv/bin/python -m bench.delivery_bench` (options: --rate, --seconds, --burst, --journal: off,
NORMAL, FULL, or cloudwatch for the local CloudWatch beside a NORMAL journal).

Three processes, as in real use: the local EventBridge (`python -m vcn.eventbridge`, as in `vcn local up`),
the sink (the API destination's endpoint, `--sink-process`) and this process, the client. Send and receive
times are read from CLOCK_MONOTONIC, which all processes of the machine share. The sink has its own event loop
so that accepting one TCP connection per delivery (AWS's `Connection: close`) does not stall the client's
sends, and the client's work does not delay the receive stamps. The baseline is the same client posting the
same event body straight to the sink, in the same run. All three processes run on the loop the local cloud
runs on (`vcn.event_loop`: uvloop where installed), so the baseline and the measured path share their
client and sink costs.

The delivery journal's cost: one EventBridge process per `--journal` variant (default: `off`, the baseline
without a journal, and `NORMAL`, the default), each with its own state folder, all measured in the same run
against the same sink; `FULL` adds an fsync per commit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, unquote

import aiohttp
import httptools

from bench.process_cpu import cpu_seconds
from vcn import event_loop
from vcn.heap import freeze_startup_heap

AMZ_JSON = "application/x-amz-json-1.1"


def now() -> float:
    """Seconds on CLOCK_MONOTONIC: one clock for the client and the sink process."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass
class Phase:
    name: str
    sent: dict[int, float]
    received: dict[int, float]


class SinkServer:
    """The API destination's endpoint (runs in the sink process): records when each (phase, seq) arrives.

    A small HTTP/1.1 server on llhttp (httptools) rather than an aiohttp app: it stands in for the remote
    endpoint (AppSync in AWS), which does not share the EventBridge's machine there, so it should take as
    little of this 2-core machine as a correct server can. Keep-alive is honoured for the client's baseline
    requests, `Connection: close` for EventBridge's. The stamp is taken when the whole request has arrived."""

    def __init__(self) -> None:
        self.received: dict[str, dict[int, float]] = {}

    def respond(self, method: bytes, path: bytes, body: bytes, arrived: float) -> tuple[int, bytes]:
        if method == b"POST" and path == b"/in":
            detail = json.loads(body)["detail"]
            self.received.setdefault(detail["phase"], {})[detail["seq"]] = arrived
            return 200, b"ok"
        if method == b"GET" and path.startswith(b"/received/"):
            phase = unquote(path[len(b"/received/") :].decode())
            return 200, json.dumps(self.received.get(phase, {})).encode()
        return 404, b"not found"


class SinkConnection(asyncio.Protocol):
    def __init__(self, server: SinkServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        arrived = now()
        assert self.transport is not None
        method = self.parser.get_method()
        status, payload = self.server.respond(method, self.url, b"".join(self.body), arrived)
        self.url, self.body = b"", []
        keep_alive = self.parser.should_keep_alive()
        reason = b"OK" if status == 200 else b"Not Found"
        self.transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s"
            % (status, reason, len(payload), b"" if keep_alive else b"Connection: close\r\n", payload)
        )
        if not keep_alive:
            self.transport.close()


async def serve_sink() -> None:
    sink = SinkServer()
    server = await asyncio.get_running_loop().create_server(lambda: SinkConnection(sink), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    freeze_startup_heap()  # as the local cloud's servers do: no full collections walking startup objects
    print(f"sink ready on http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()  # until the client terminates this process


class Sink:
    """The client's handle on the sink process."""

    def __init__(self, base_url: str, pid: int) -> None:
        self.base_url = base_url
        self.url = f"{base_url}/in"
        self.pid = pid

    async def received(self, session: aiohttp.ClientSession, phase: str) -> dict[int, float]:
        async with session.get(f"{self.base_url}/received/{quote(phase, safe='')}") as response:
            return {int(seq): arrived for seq, arrived in (await response.json(content_type=None)).items()}


def event_body(phase: str, seq: int) -> dict[str, Any]:
    return {
        "Source": "bench.delivery",
        "DetailType": "BenchEvent",
        "Detail": json.dumps({"phase": phase, "seq": seq}),
    }


async def call(session: aiohttp.ClientSession, url: str, operation: str, request: dict[str, Any]) -> Any:
    async with session.post(
        url,
        data=json.dumps(request),
        headers={"X-Amz-Target": f"AWSEvents.{operation}", "Content-Type": AMZ_JSON},
    ) as response:
        document = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"{operation} failed: {document}")
        return document


async def configure(session: aiohttp.ClientSession, eventbridge: str, sink: str) -> None:
    connection = await call(
        session,
        eventbridge,
        "CreateConnection",
        {
            "Name": "bench",
            "AuthorizationType": "API_KEY",
            "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "bench"}},
        },
    )
    destination = await call(
        session,
        eventbridge,
        "CreateApiDestination",
        {
            "Name": "bench-sink",
            "ConnectionArn": connection["ConnectionArn"],
            "InvocationEndpoint": sink,
            "HttpMethod": "POST",
            "InvocationRateLimitPerSecond": 100_000,
        },
    )
    await call(
        session, eventbridge, "PutRule", {"Name": "bench", "EventPattern": '{"source": ["bench.delivery"]}'}
    )
    await call(
        session,
        eventbridge,
        "PutTargets",
        {"Rule": "bench", "Targets": [{"Id": "sink", "Arn": destination["ApiDestinationArn"]}]},
    )


Sender = Callable[[str, int], Awaitable[None]]


def via_eventbridge(session: aiohttp.ClientSession, eventbridge: str) -> Sender:
    async def send(phase: str, seq: int) -> None:
        await call(session, eventbridge, "PutEvents", {"Entries": [event_body(phase, seq)]})

    return send


def direct(session: aiohttp.ClientSession, sink: str) -> Sender:
    async def send(phase: str, seq: int) -> None:
        # The same envelope a target receives, so both paths carry comparable bodies.
        event = {
            "version": "0",
            "id": str(seq),
            "detail-type": "BenchEvent",
            "source": "bench.delivery",
            "detail": {"phase": phase, "seq": seq},
        }
        async with session.post(
            sink, data=json.dumps(event), headers={"Content-Type": "application/json"}
        ) as r:
            await r.read()

    return send


async def run_phase(
    session: aiohttp.ClientSession, sink: Sink, send: Sender, name: str, count: int, rate: float | None
) -> Phase:
    """Send `count` events paced at `rate` per second (None: as fast as 64 in flight allow)."""
    phase = Phase(name, {}, {})
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []
    limit = asyncio.Semaphore(64)

    async def one(seq: int) -> None:
        phase.sent[seq] = now()
        await send(name, seq)

    async def bounded(seq: int) -> None:
        async with limit:
            await one(seq)

    start = loop.time()
    for seq in range(count):
        if rate is None:
            tasks.append(loop.create_task(bounded(seq)))
            continue
        delay = start + seq / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(one(seq)))
    await asyncio.gather(*tasks)
    deadline = now() + 15
    while True:
        phase.received = await sink.received(session, name)
        if len(phase.received) >= count or now() >= deadline:
            return phase
        await asyncio.sleep(0.05)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@dataclass
class Row:
    path: str
    offered: str
    delivered: int
    events_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    eventbridge_cpu_ms: float | None
    sink_cpu_ms: float


def summarize(path: str, offered: str, phase: Phase, cpu: float | None, sink_cpu: float) -> Row:
    latencies = [(phase.received[seq] - phase.sent[seq]) * 1000 for seq in phase.received]
    span = max(phase.received.values()) - min(phase.sent.values())
    return Row(
        path,
        offered,
        len(phase.received),
        len(phase.received) / span,
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        max(latencies),
        None if cpu is None else cpu * 1000 / max(1, len(phase.received)),
        sink_cpu * 1000 / max(1, len(phase.received)),
    )


def start_process(what: str, command: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Start a server process and return it with the URL it prints on its first line."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://[^\s/]+)", line)
    if match is None:
        process.kill()
        raise RuntimeError(f"{what} did not start: {line!r}")
    return process, match.group(1)


JOURNAL_FLAGS = {"off": ["--no-journal"], "NORMAL": [], "FULL": ["--journal-synchronous", "FULL"]}
# The local CloudWatch beside the EventBridge on its loop, ticking as often as it gets (time scale 200+).
CLOUDWATCH = "cloudwatch"
VARIANTS = [*JOURNAL_FLAGS, CLOUDWATCH]


def start_eventbridge(state_dir: str, variant: str) -> tuple[subprocess.Popen[str], str]:
    """`python -m vcn.eventbridge` with a journal setting, or with the local CloudWatch collecting its metrics
    on the same loop (`cloudwatch`, journal NORMAL)."""
    if variant == CLOUDWATCH:
        command = [sys.executable, "-m", "bench.cloudwatch_eventbridge", "--state-dir", state_dir]
        return start_process("EventBridge", [*command, "--time-scale", "200", "--log-level", "WARNING"])
    command = [sys.executable, "-m", "vcn.eventbridge", "--port", "0", "--state-dir", state_dir]
    return start_process("EventBridge", [*command, "--log-level", "WARNING", *JOURNAL_FLAGS[variant]])


@dataclass(frozen=True)
class Target:
    journal: str  # a VARIANTS name
    url: str
    pid: int

    @property
    def label(self) -> str:
        kept = {"off": "no journal", CLOUDWATCH: "journal NORMAL, CloudWatch beside it"}.get(
            self.journal, f"journal {self.journal}"
        )
        return f"PutEvents -> API destination -> sink ({kept})"


async def bench(rate: float, seconds: float, burst: int, sink: Sink, targets: list[Target]) -> list[Row]:
    rows: list[Row] = []
    # At most 10 connections per endpoint, like boto3's default pool (max_pool_connections=10).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit_per_host=10)) as session:
        for target in targets:
            await configure(session, target.url, sink.url)
        count = int(rate * seconds)
        freeze_startup_heap()
        paths: list[tuple[str, Sender, int | None]] = [
            ("baseline: client -> sink", direct(session, sink.url), None),
            *((target.label, via_eventbridge(session, target.url), target.pid) for target in targets),
        ]
        for offered, total, pace in ((f"{rate:g}/s", count, rate), ("max (64 in flight)", burst, None)):
            for label, send, pid in paths:
                if pace is not None:
                    await run_phase(session, sink, send, f"warmup {label}", int(rate), rate)
                before, sink_before = (cpu_seconds(pid) if pid else 0.0), cpu_seconds(sink.pid)
                phase = await run_phase(session, sink, send, f"{offered} {label}", total, pace)
                cpu = cpu_seconds(pid) - before if pid else None
                rows.append(summarize(label, offered, phase, cpu, cpu_seconds(sink.pid) - sink_before))
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| path | offered | delivered | events/s | p50 ms | p99 ms | max ms | EventBridge CPU ms/event "
        "| sink CPU ms/event |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.path} | {row.offered} | {row.delivered} | {row.events_per_second:.0f} | "
            f"{row.p50_ms:.2f} | {row.p99_ms:.2f} | {row.max_ms:.2f} | "
            f"{'' if row.eventbridge_cpu_ms is None else f'{row.eventbridge_cpu_ms:.2f}'} | "
            f"{row.sink_cpu_ms:.2f} |"
        )
    by_offer: dict[str, list[Row]] = {}
    for row in rows:
        by_offer.setdefault(row.offered, []).append(row)
    for offered, (baseline, *measured) in by_offer.items():
        for row in measured:
            lines.append(
                f"| ratio ({row.path}) / baseline | {offered} | | "
                f"{row.events_per_second / baseline.events_per_second:.2f}x | "
                f"{row.p50_ms / baseline.p50_ms:.1f}x | {row.p99_ms / baseline.p99_ms:.1f}x | | | |"
            )
        unjournaled = next((row for row in measured if row.path.endswith("(no journal)")), None)
        for row in measured:
            if unjournaled is None or row is unjournaled or unjournaled.eventbridge_cpu_ms is None:
                continue
            cpu = row.eventbridge_cpu_ms or 0.0
            lines.append(
                f"| ratio ({row.path}) / no journal | {offered} | | "
                f"{row.events_per_second / unjournaled.events_per_second:.2f}x | "
                f"{row.p50_ms / unjournaled.p50_ms:.2f}x | {row.p99_ms / unjournaled.p99_ms:.2f}x | | "
                f"{cpu / unjournaled.eventbridge_cpu_ms:.2f}x | |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery_bench", description=__doc__)
    parser.add_argument("--rate", type=float, default=500.0, help="paced events per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each paced run")
    parser.add_argument("--burst", type=int, default=3000, help="events in each max-throughput run")
    parser.add_argument(
        "--journal",
        action="append",
        choices=VARIANTS,
        help="EventBridge variants to measure, in this order (repeatable; default: off, NORMAL)",
    )
    parser.add_argument("--sink-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink_process:
        event_loop.run(serve_sink())
        return
    variants: list[str] = args.journal or ["off", "NORMAL"]
    with tempfile.TemporaryDirectory() as state_root:
        started: list[subprocess.Popen[str]] = []
        try:
            sink_process, sink_url = start_process(
                "sink", [sys.executable, "-m", "bench.delivery_bench", "--sink-process"]
            )
            started.append(sink_process)
            sink = Sink(sink_url, sink_process.pid)
            targets: list[Target] = []
            for variant in variants:
                process, url = start_eventbridge(str(Path(state_root) / variant.lower()), variant)
                started.append(process)
                targets.append(Target(variant, url, process.pid))
            rows = event_loop.run(bench(args.rate, args.seconds, args.burst, sink, targets))
        finally:
            for running in started:
                running.terminate()
                running.wait(10)
    load = os.getloadavg()[0]
    print(
        f"delivery bench: {os.cpu_count()} CPUs, load average {load:.1f}, {event_loop.loop_name()} loop, "
        f"{args.rate:g}/s for {args.seconds:g} s, bursts of {args.burst}, EventBridge variants: "
        f"{', '.join(variants)}"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
