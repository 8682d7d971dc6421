"""What an EVENT-mode OnPublish handler costs the publish-to-receive latency, measured paired in one server.

Run from the repository root:  .venv/bin/python -m bench.event_handler_bench   (about 4 minutes;
`--cycles 1600` about 17; `--quick`: 200 subscribers and 60 cycles, under a minute)

One AppSync Events server (`AppSyncEventsServer`, in a child process) has six namespaces that differ only in
their OnPublish handler:
- `plain` and `control`: none. They are identical, so the difference between them is what this bench cannot
  resolve: an A/A measurement inside every run;
- `noop`: a DIRECT handler in EVENT mode running a function that does nothing, in a real Lambda worker;
- `markets`: the application's history recorder as template.yaml declares it (`handlers.history_recorder`),
  recording every event in the template's history table on the local DynamoDB child (one
  TransactWriteItems per event, journaled and fsync'd);
- `users` and `plants`: the same recorder again, each in its own worker with its own DynamoDB child, running
  at idle CPU priority (`SCHED_IDLE`, Linux's lowest: they yield to every other process): for `users` the
  worker only, for `plants` the worker and the DynamoDB child. They do the same work as `markets`, so what
  they save is the part of recording's cost that is the recorder taking a CPU away from delivery.

The same subscriber connections (a second child process, every 10th one sampled) each subscribe to one
channel in every namespace. The publisher (this process) sends one event at a time, `--gap` apart (default
100 ms: a publish's fan-out and its handler's work are over before the next), visiting the six channels in
a fresh random order every cycle. So a change in the machine's load falls on all six alike, and the server
process, its event loop, the subscribers and their sockets are the same for all six: the handler is the only
difference. (The server reaches a channel's subscribers in the order they subscribed, so the sampled
connections stand at the same places in every namespace's fan-out.) The earlier design, three servers
measured in turn, differed by up to 3 ms at p99 between identical servers: more than the +2 ms goal.

Also printed: the CPU each process spent per publish (the AppSync server, the subscribers, each Lambda worker
and the DynamoDB child), which says what a handler competes with the fan-out for.

p50 and p99 are over the pooled samples of each namespace. Each p99's difference from `plain` comes with a
95% interval from a paired bootstrap over cycles: a cycle's publishes are drawn together, because the
samples of one publish (one fan-out) are not independent of each other.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.appsync_bench import API_KEY, ROOT, _start_ours, percentile, subscribers, subscription_protocols
from bench.process_cpu import cpu_seconds

# namespace -> what its OnPublish is; `plain` is the baseline every other row is compared with
VARIANTS = {
    "plain": "no handler",
    "control": "no handler (A/A control)",
    "noop": "EVENT handler (no-op)",
    "markets": "EVENT handler recording",
    "users": "recording, worker at idle priority",
    "plants": "recording, worker and DynamoDB idle",
}
BASELINE = "plain"
RECORDING = "markets"  # a namespace the history recorder records
GOAL_MS = 2.0
NO_OP = """
def handler(event, context):
    return None
"""
RECORDER = "HistoryRecorderFunction"


@dataclasses.dataclass(frozen=True)
class Recorder:
    """One copy of the history recorder: its namespace, function name, and which of its processes run idle."""

    namespace: str
    function: str
    idle_worker: bool
    idle_store: bool

    @property
    def label(self) -> str:
        return f"recorder {self.namespace}"


RECORDERS = (
    Recorder(RECORDING, RECORDER, idle_worker=False, idle_store=False),
    Recorder("users", "HistoryRecorderIdleWorker", idle_worker=True, idle_store=False),
    Recorder("plants", "HistoryRecorderAllIdle", idle_worker=True, idle_store=True),
)


def channel_of(namespace: str) -> str:
    return f"/{namespace}/fan"


# ------------------------------------------------------------------------------------------ server process
def serve(pipe: Connection) -> None:
    """Child process: run the server until the parent says stop; answer "counts" meanwhile."""
    asyncio.run(_serve(pipe))


async def _serve(pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    url, counts, stop = await _start_server()
    pipe.send(url)
    while (command := await loop.run_in_executor(None, pipe.recv)) != "stop":
        pipe.send(await counts() if command == "counts" else _cpu_of_children())
    await stop()


async def _start_server() -> tuple[str, Callable[[], Any], Callable[[], Any]]:
    from tests.support.function_specs import local_function
    from vcn.appsync.config import DataSource, HandlerConfig, Namespace
    from vcn.lambda_runtime import LambdaRuntime
    from vcn.lambda_runtime.async_queue import AsyncInvocationQueue, async_queue_path
    from vcn.lambda_runtime.config import AsyncInvokeConfig
    from vcn.local.aws_env import function_environment

    folder = Path(tempfile.mkdtemp(prefix="vcn-bench-handlers-"))
    (folder / "no_op.py").write_text(NO_OP)
    no_op = local_function("NoOp", folder, "no_op.handler", timeout=30)
    stack = application_stack()
    # no on-failure queue here: a failed recording shows in the failure count the run prints
    recorder = next(f for f in stack.functions if f.name == RECORDER)
    recorder = dataclasses.replace(recorder, async_invoke=AsyncInvokeConfig(), timeout=30)
    (table,) = stack.dynamodb_tables
    stores = [await history_store(folder / r.namespace, table) for r in RECORDERS]
    # Each recorder reaches its own DynamoDB child: the endpoint goes in the function's own environment.
    functions = [
        dataclasses.replace(
            recorder,
            name=r.function,
            environment={**recorder.environment, "AWS_ENDPOINT_URL_DYNAMODB": store.url},
        )
        for r, (store, _) in zip(RECORDERS, stores, strict=True)
    ]
    # As `vcn local up` runs it: accepted asynchronous invocations kept in the durable queue until settled.
    runtime = LambdaRuntime(
        [no_op, *functions],
        extra_env=function_environment("http://127.0.0.1:9"),
        queue=AsyncInvocationQueue(async_queue_path(folder)),
    )
    await runtime.start(prewarm=True)
    for r, (store, _) in zip(RECORDERS, stores, strict=True):
        assert store.pid is not None
        if r.idle_store:
            _run_idle(store.pid)
        if r.idle_worker:
            _run_idle(_worker_pid(r.function))
        _ROLES[f"dynamodb:{store.port}"] = f"DynamoDB {r.namespace}"
        _ROLES[r.function] = r.label

    def on_publish(source: str) -> HandlerConfig:
        return HandlerConfig("DIRECT", data_source=source, invoke_type="EVENT")

    url, stop_server = await _start_ours(
        (
            Namespace("plain"),
            Namespace("control"),
            Namespace("noop", on_publish=on_publish("NoOpSource")),
            *(Namespace(r.namespace, on_publish=on_publish(r.function)) for r in RECORDERS),
        ),
        runtime,
        (
            DataSource("NoOpSource", no_op.arn),
            *(DataSource(f.name, f.arn) for f in functions),
        ),
    )

    async def counts() -> dict[str, Any]:
        await runtime.drain(timeout=60)
        return {
            "failures": runtime.async_failures,
            "recorded": {
                r.namespace: await _recorded_notifications(client, table.name)
                for r, (_, client) in zip(RECORDERS, stores, strict=True)
            },
        }

    async def stop() -> None:
        await stop_server()
        await runtime.stop()
        for store, client in stores:
            await client.close()
            await store.stop()

    return url, counts, stop


async def history_store(state_dir: Path, table: Any) -> tuple[Any, Any]:
    """A local DynamoDB child holding the template's history table, and a client of it."""
    from tests.support.local_cloud import free_ports
    from vcn.aws_account import LOCAL_ACCOUNT
    from vcn.dynamodb import DynamoDbClient, LocalDynamoDb, ensure_tables

    (port,) = free_ports(1)
    store = LocalDynamoDb(
        state_dir=state_dir,
        host="127.0.0.1",
        port=port,
        account=LOCAL_ACCOUNT.account_id,
        region=LOCAL_ACCOUNT.region,
    )
    await store.start()
    client = DynamoDbClient(store.url, LOCAL_ACCOUNT.region)
    await ensure_tables(client, [table])
    return store, client


def _run_idle(pid: int) -> None:
    """Every thread of `pid` (and the threads it starts later) at SCHED_IDLE, Linux's lowest priority."""
    for thread in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setscheduler(int(thread.name), os.SCHED_IDLE, os.sched_param(0))


def _children() -> dict[int, str]:
    """This process's children by role: a Lambda worker by its function's name, a DynamoDB child by port."""
    roles = {}
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"vcn.dynamodb" in command:
                roles[int(child)] = "dynamodb:" + command[command.index(b"--port") + 1].decode()
                continue
            environment = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
            names = [v for v in environment if v.startswith(b"AWS_LAMBDA_FUNCTION_NAME=")]
            roles[int(child)] = names[0].split(b"=", 1)[1].decode() if names else "?"
    return roles


def _worker_pid(function: str) -> int:
    (pid,) = [pid for pid, role in _children().items() if role == function]
    return pid


def application_stack() -> Any:
    """template.yaml as `vcn local up` resolves it, with the app profile's local parameters."""
    from app_profile import PROFILE
    from vcn.local.invoke import local_identity_at
    from vcn.template import LocalEndpoints, load_stack

    endpoints = LocalEndpoints()
    parameters = dict(PROFILE.local_parameters(local_identity_at(endpoints)))
    return load_stack(ROOT / "template.yaml", endpoints=endpoints, parameter_overrides=parameters)


async def _recorded_notifications(client: Any, table: str) -> int:
    """Notification items in the history table (each also has a guard item, not counted)."""
    request: dict[str, Any] = {
        "TableName": table,
        "Select": "COUNT",
        "FilterExpression": "begins_with(pk, :channel)",
        "ExpressionAttributeValues": {":channel": {"S": "CHANNEL#"}},
    }
    count = 0
    while True:
        reply = await client.call("Scan", request)
        count += reply["Count"]
        if "LastEvaluatedKey" not in reply:
            return count
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


SHARED_PROCESSES = {"AppSync server", "subscribers"}  # they work for every namespace
_ROLES = {"NoOp": "no-op worker"}  # a child's role (see `_children`) -> its name in the CPU figures


def _cpu_of_children() -> dict[str, float]:
    """The CPU time of this process and of each child: the Lambda workers and the DynamoDB children."""
    used = {"AppSync server": cpu_seconds(os.getpid())}
    for pid, role in _children().items():
        name = _ROLES.get(role, role)
        used[name] = used.get(name, 0.0) + cpu_seconds(pid)
    return used


# --------------------------------------------------------------------------------------------- the run
@dataclasses.dataclass(frozen=True)
class Run:
    subscribers: int
    cycles: int  # measured cycles: one publish to each namespace, in a random order
    warmup_cycles: int
    gap: float  # seconds between two publishes
    seed: int

    @property
    def publishes(self) -> int:
        return (self.warmup_cycles + self.cycles) * len(VARIANTS)


def schedule(run: Run) -> list[str]:
    """The namespace of every publish, in order: each cycle visits all of them in a fresh random order."""
    rng = random.Random(run.seed)
    order: list[str] = []
    for _ in range(run.warmup_cycles + run.cycles):
        cycle = list(VARIANTS)
        rng.shuffle(cycle)
        order.extend(cycle)
    return order


async def _ask(pipe: Connection, message: Any) -> Any:
    pipe.send(message)
    return await asyncio.get_running_loop().run_in_executor(None, pipe.recv)


async def measure(run: Run) -> tuple[list[tuple[int, float, str]], dict[str, Any]]:
    """Publish the schedule; the sampled (publish index, seconds to receipt, namespace) and the server's
    counts (handler failures, notifications recorded)."""
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    context = multiprocessing.get_context("spawn")
    server_pipe, server_end = context.Pipe()
    server = context.Process(target=serve, args=(server_end,), daemon=True)
    clients_pipe, clients_end = context.Pipe()
    clients = context.Process(target=subscribers, args=(clients_end,), daemon=True)
    server.start()
    clients.start()
    assert clients.pid is not None
    clients_pid = clients.pid
    loop = asyncio.get_running_loop()
    try:
        url = await loop.run_in_executor(None, server_pipe.recv)
        auth = {"x-api-key": API_KEY, "host": urlsplit(url).netloc}
        protocols = subscription_protocols(auth)
        reply = await _ask(
            clients_pipe,
            {
                "op": "connect",
                "url": url,
                "count": run.subscribers,
                "subprotocols": protocols,
                "auth": auth,
                "sample_every": 10,
                "channels": [channel_of(namespace) for namespace in VARIANTS],
            },
        )
        assert reply["connected"] == run.subscribers, reply
        target = run.subscribers * run.publishes
        await _ask(clients_pipe, {"op": "expect", "target": target, "timeout": run.publishes * run.gap + 60})
        order = schedule(run)
        cpu_before = {**await _ask(server_pipe, "cpu"), "subscribers": cpu_seconds(clients_pid)}
        run_id = uuid.uuid4().hex[:12]
        async with connect(
            url, subprotocols=[Subprotocol(p) for p in protocols], compression=None, ping_interval=None
        ) as ws:
            await ws.send('{"type":"connection_init"}')
            await ws.recv()

            async def acknowledgements() -> None:
                answered = 0
                while answered < len(order):
                    answer = json.loads(await ws.recv())
                    if answer["type"] == "ka":  # the server's keep-alive, every minute
                        continue
                    if answer["type"] != "publish_success" or answer["failed"]:
                        raise RuntimeError(f"publish failed: {answer}")
                    answered += 1

            acks = asyncio.ensure_future(acknowledgements())
            start = time.monotonic()
            for index, namespace in enumerate(order):
                delay = start + index * run.gap - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                event = {
                    "t": time.monotonic(),
                    "i": index,
                    "v": namespace,
                    "eventId": f"{run_id}-{index}",
                    "payload": "x" * 64,
                }
                frame = {
                    "type": "publish",
                    "id": str(uuid.uuid4()),
                    "channel": channel_of(namespace),
                    "events": [json.dumps(event)],
                    "authorization": auth,
                }
                await ws.send(json.dumps(frame))
            await acks
        result = await loop.run_in_executor(None, clients_pipe.recv)
        if result["received"] != target:
            raise RuntimeError(f"received {result['received']} of {target} frames")
        cpu_after = {**await _ask(server_pipe, "cpu"), "subscribers": cpu_seconds(clients_pid)}
        counts = await _ask(server_pipe, "counts")
        counts["cpu_seconds"] = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    finally:
        clients_pipe.send({"op": "exit"})
        server_pipe.send("stop")
        await loop.run_in_executor(None, server.join, 30)
        await loop.run_in_executor(None, clients.join, 10)
    return [(int(i), float(seconds), str(v)) for i, seconds, v in result["latencies"]], counts


# ------------------------------------------------------------------------------------------ the figures
@dataclasses.dataclass(frozen=True)
class Row:
    namespace: str
    publishes: int
    samples: int
    p50_ms: float
    p99_ms: float
    p99_delta_ms: float | None  # against the baseline namespace
    interval_ms: tuple[float, float] | None  # 95% of the bootstrap's deltas


def by_cycle(samples: Sequence[tuple[int, float, str]], run: Run) -> dict[int, dict[str, list[float]]]:
    """The measured samples, grouped by cycle and namespace (the warm-up cycles left out)."""
    cycles: dict[int, dict[str, list[float]]] = {}
    for index, seconds, namespace in samples:
        cycle = index // len(VARIANTS)
        if cycle >= run.warmup_cycles:
            cycles.setdefault(cycle, {v: [] for v in VARIANTS})[namespace].append(seconds)
    return cycles


def _p99s(cycles: Sequence[dict[str, list[float]]]) -> dict[str, float]:
    return {
        namespace: percentile(sorted(s for cycle in cycles for s in cycle[namespace]), 0.99)
        for namespace in VARIANTS
    }


def analyse(cycles: dict[int, dict[str, list[float]]], resamples: int, seed: int) -> list[Row]:
    measured = list(cycles.values())
    rng = random.Random(seed)
    deltas: dict[str, list[float]] = {namespace: [] for namespace in VARIANTS}
    for _ in range(resamples):
        drawn = _p99s(rng.choices(measured, k=len(measured)))
        for namespace in VARIANTS:
            deltas[namespace].append(drawn[namespace] - drawn[BASELINE])
    rows = []
    for namespace in VARIANTS:
        pooled = sorted(s for cycle in measured for s in cycle[namespace])
        p99 = percentile(pooled, 0.99)
        spread = sorted(deltas[namespace])
        compared = namespace != BASELINE
        rows.append(
            Row(
                namespace=namespace,
                publishes=sum(1 for cycle in measured if cycle[namespace]),
                samples=len(pooled),
                p50_ms=percentile(pooled, 0.5),
                p99_ms=p99,
                p99_delta_ms=p99 - percentile(sorted(s for c in measured for s in c[BASELINE]), 0.99)
                if compared
                else None,
                interval_ms=(spread[int(0.025 * len(spread))], spread[int(0.975 * len(spread)) - 1])
                if compared
                else None,
            )
        )
    return rows


def verdict(row: Row) -> str:
    """For the recording row: the goal is shown met when the whole interval is within it."""
    assert row.p99_delta_ms is not None and row.interval_ms is not None
    if row.interval_ms[1] <= GOAL_MS:
        return "yes"
    if row.p99_delta_ms <= GOAL_MS:
        return "not shown (interval above)"
    return "NO"


def render(rows: list[Row]) -> str:
    table = [
        ("publish -> receive", "publishes", "p50 ms", "p99 ms", "p99 vs no handler", "95% interval", "goal")
    ]
    for row in rows:
        label = VARIANTS[row.namespace]
        if row.p99_delta_ms is None or row.interval_ms is None:
            table.append((label, str(row.publishes), f"{row.p50_ms:.2f}", f"{row.p99_ms:.2f}", "", "", ""))
            continue
        low, high = row.interval_ms
        goal = f"<= +{GOAL_MS:g} ms: {verdict(row)}" if row.namespace == RECORDING else ""
        table.append(
            (
                label,
                str(row.publishes),
                f"{row.p50_ms:.2f}",
                f"{row.p99_ms:.2f}",
                f"{row.p99_delta_ms:+.2f} ms",
                f"{low:+.2f} .. {high:+.2f} ms",
                goal,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |" for line in table]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 subscribers, 60 cycles (smoke run)")
    parser.add_argument("--cycles", type=int, help="measured cycles, one publish per namespace (default 400)")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between publishes (default 0.1)")
    parser.add_argument("--seed", type=int, default=1, help="of the publish order and the bootstrap")
    args = parser.parse_args()
    if args.gap <= 0 or (args.cycles is not None and args.cycles < 10):
        parser.error("--gap must be positive and --cycles at least 10")
    run = Run(
        subscribers=200 if args.quick else 1000,
        cycles=args.cycles or (60 if args.quick else 400),
        warmup_cycles=10,
        gap=args.gap,
        seed=args.seed,
    )
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    samples, counts = asyncio.run(measure(run))
    rows = analyse(by_cycle(samples, run), resamples=200, seed=run.seed)
    print(
        f"EVENT-mode OnPublish handlers, paired in one server ({os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}, {run.subscribers} subscribers, {run.cycles} cycles of "
        f"{len(VARIANTS)} publishes {run.gap * 1000:g} ms apart after {run.warmup_cycles} warm-up cycles, "
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f})"
    )
    print(render(rows))

    def publishes_for(name: str) -> int:  # each worker and DynamoDB child serves one namespace
        return run.publishes if name in SHARED_PROCESSES else run.publishes // len(VARIANTS)

    print(
        "CPU per publish, over the whole run: "
        + ", ".join(
            f"{name} {seconds / publishes_for(name) * 1e6:,.0f} us"
            for name, seconds in counts["cpu_seconds"].items()
        )
        + " (a worker's and the DynamoDB child's: per publish to the namespace they serve)"
    )
    recorded_publishes = run.publishes // len(VARIANTS)
    print(
        f"handler failures: {counts['failures']}; notifications recorded: "
        + ", ".join(
            f"{recorded} of {recorded_publishes} published to /{namespace}"
            for namespace, recorded in counts["recorded"].items()
        )
        + "; samples per namespace: "
        + f"{', '.join(f'{row.namespace} {row.samples}' for row in rows)}; total run "
        f"{time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
