"""Validation handler latency in-process and cold import time of every handler module.

Run: `.venv/bin/python -m bench.validation_bench` from the repository root.

1. In-process: the Configuration API handler (Powertools resolver, logger, metrics, domain rules, event
   building; an in-memory publisher instead of EventBridge) answering `POST /configurations/validate` with
   the typical configuration of events/invoke/configuration-api-validate.json. Baseline in the same run:
   a JSON round-trip of that same API Gateway event (json.loads(json.dumps(event))). Target: p99 <= 5 ms.
2. Cold import: each handler module imported in a fresh interpreter laid out like the Lambda runtime:
   stdlib + boto3/botocore + functions/ + functions/requirements.txt, nothing else (`python -S` with those on
   PYTHONPATH; the packages are pip-installed once into a cache directory under the system temp dir). The
   environment is Lambda-like, so Powertools Tracer is on and patches what it finds. Baselines in the same
   run: `python -S -c pass`, and a module with only Logger + Tracer + Metrics, with Tracer's default patching
   of every library and with `auto_patch=False` (the floor every handler pays). Two more rows add the first
   `event_publisher()` call to the publishing handlers' import: the botocore patch and boto3 client deferred.
   Target: import <= 300 ms. Without network for pip, the project venv is used instead (noted in the output).

The machine's load average is printed: on a shared machine p99 mostly measures the scheduler.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
SAMPLE = ROOT / "events" / "invoke" / "configuration-api-validate.json"
HANDLERS = ("configuration_api", "validation_worker", "authorizer", "subscribe_guard")
WARMUP, ITERATIONS, IMPORT_RUNS = 300, 3000, 9
FUNCTION_ENV = {
    "POWERTOOLS_SERVICE_NAME": "vehicle-config-notifications",
    "POWERTOOLS_METRICS_NAMESPACE": "VehicleConfigNotifications",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "EVENT_BUS_NAME": "vehicle-config",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Read at import by the handlers' settings; never contacted here.
    "EVENTS_HTTP_URL": "https://events.invalid/event",
    "EVENTS_REALTIME_URL": "wss://events.invalid/event/realtime",
    "JWKS_URL": "https://login.invalid/.well-known/jwks.json",
    "TOKEN_ISSUER": "https://login.invalid/",
    "TOKEN_AUDIENCE": "vehicle-config-notifications",
}
LAMBDA_LIKE_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "LAMBDA_TASK_ROOT": str(FUNCTIONS),
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
}


class _Discard(io.TextIOBase):
    """Swallows log lines and EMF metrics so the terminal does not dominate the measurement."""

    def write(self, text: str) -> int:
        return len(text)


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50 / 1e6, p99 / 1e6


def measure_interleaved(calls: dict[str, Callable[[], Any]]) -> dict[str, tuple[list[int], list[int]]]:
    """Time each call once per round, round after round, so all of them see the same machine noise.

    Returns wall-clock and thread CPU nanoseconds per call; CPU time leaves out time spent preempted.
    """
    for _ in range(WARMUP):
        for call in calls.values():
            call()
    samples: dict[str, tuple[list[int], list[int]]] = {name: ([], []) for name in calls}
    for _ in range(ITERATIONS):
        for name, call in calls.items():
            cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
            call()
            samples[name][0].append(time.perf_counter_ns() - wall)
            samples[name][1].append(time.thread_time_ns() - cpu)
    return samples


def in_process() -> list[tuple[str, float, float, float, float]]:
    os.environ.update(FUNCTION_ENV)
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
    sys.path.insert(0, str(FUNCTIONS))
    real_stdout = sys.stdout
    # the handler's Logger binds its stream at import time, so import while redirected
    sys.stdout = _Discard()
    try:
        from handlers import configuration_api
        from vehicle_config.model import Configuration
        from vehicle_config.rules import validate

        from tests.support.fakes import InMemoryEventPublisher

        publisher = InMemoryEventPublisher()
        configuration_api.event_publisher = lambda: publisher  # type: ignore[assignment]
        event = json.loads(SAMPLE.read_text())
        context = _Context()
        configuration = Configuration.from_dict(json.loads(event["body"]))

        def handle() -> None:
            publisher.published.clear()
            response = configuration_api.handler(event, context)
            assert response["statusCode"] == 200

        samples = measure_interleaved(
            {
                "baseline: json round-trip of the event": lambda: json.loads(json.dumps(event)),
                "validate() domain rules only": lambda: validate(configuration),
                "handler POST /configurations/validate": handle,
            }
        )
        rows = [(name, *percentiles(wall), *percentiles(cpu)) for name, (wall, cpu) in samples.items()]
    finally:
        sys.stdout = real_stdout
    return rows


class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "00000000-0000-0000-0000-000000000000"


MINIMAL_POWERTOOLS = (
    "from aws_lambda_powertools import Logger, Metrics, Tracer; "
    "logger = Logger(); tracer = Tracer(); metrics = Metrics()"
)
# Tracer() patches every library it finds (botocore included); the handlers patch only what they call, later
MINIMAL_POWERTOOLS_UNPATCHED = MINIMAL_POWERTOOLS.replace("Tracer()", "Tracer(auto_patch=False)")
# Work the publishing handlers defer to their first publish (botocore patch, boto3 import, client), shown so
# that the import figures are not read as the whole cold start
FIRST_PUBLISH = {
    f"{module} + event_publisher()": f"import handlers.{module} as h; h.event_publisher()"
    for module in ("configuration_api", "validation_worker")
}


def lambda_site() -> Path | None:
    """A directory with functions/requirements.txt and boto3 installed, as a deployment package would have."""
    requirements = (FUNCTIONS / "requirements.txt").read_text()
    digest = hashlib.sha256(requirements.encode()).hexdigest()[:12]
    site = Path(tempfile.gettempdir()) / f"vcn-bench-lambda-site-{digest}"
    if (site / ".complete").exists():
        return site
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(site)]
    command += ["-r", str(FUNCTIONS / "requirements.txt"), "boto3"]
    if subprocess.run(command, capture_output=True, text=True, check=False).returncode != 0:
        return None
    (site / ".complete").touch()
    return site


def cold_import(statement: str | None, site: Path | None) -> tuple[float, float, float]:
    """Medians over IMPORT_RUNS runs: wall and CPU ms spent in `statement`, and wall ms of the whole child."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_LAMBDA", "LAMBDA_"))}
    paths = [str(FUNCTIONS)] + ([str(site)] if site else [])
    env.update(FUNCTION_ENV, **LAMBDA_LIKE_ENV, PYTHONPATH=os.pathsep.join(paths))
    interpreter = [sys.executable, "-S"] if site else [sys.executable]
    code = "pass"
    if statement is not None:
        code = f"import time; c, t = time.process_time(), time.perf_counter(); {statement}; "
        code += "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)"
    inside: list[float] = []
    inside_cpu: list[float] = []
    wall: list[float] = []
    for _ in range(IMPORT_RUNS):
        start = time.perf_counter()
        out = subprocess.run([*interpreter, "-c", code], env=env, capture_output=True, text=True, check=True)
        wall.append((time.perf_counter() - start) * 1000)
        measured = out.stdout.split() or ["0", "0"]
        inside.append(float(measured[0]))
        inside_cpu.append(float(measured[1]))
    return statistics.median(inside), statistics.median(inside_cpu), statistics.median(wall)


def main() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, load average {load}")
    print(f"\nIn-process latency ({ITERATIONS} calls after {WARMUP} warm-up), milliseconds")
    rows = in_process()
    base = rows[0]
    header = f"{'wall p50':>9} {'wall p99':>9} {'cpu p50':>8} {'cpu p99':>8} {'cpu p99 x base':>15}"
    print(f"{'measurement':40} {header}")
    for name, p50, p99, cpu50, cpu99 in rows:
        print(f"{name:40} {p50:9.3f} {p99:9.3f} {cpu50:8.3f} {cpu99:8.3f} {cpu99 / base[4]:15.1f}")
    wall_p99, cpu_p99 = rows[-1][2], rows[-1][4]
    print(f"target p99 <= 5 ms: wall {'met' if wall_p99 <= 5 else 'MISSED'} ({wall_p99:.3f} ms), ", end="")
    print(f"cpu {'met' if cpu_p99 <= 5 else 'MISSED'} ({cpu_p99:.3f} ms)")

    site = lambda_site()
    layout = f"Lambda-like site {site}" if site else "project venv (pip install failed)"
    print(f"\nCold import, fresh interpreter, {layout} (median of {IMPORT_RUNS}), milliseconds")
    print(f"{'module':40} {'import wall':>11} {'import cpu':>10} {'process':>8} {'cpu x powertools':>17}")
    _, _, base_wall = cold_import(None, site)
    print(f"{'baseline: python -c pass':40} {'-':>11} {'-':>10} {base_wall:8.1f} {'-':>17}")
    powertools_wall, powertools_cpu, powertools_process = cold_import(MINIMAL_POWERTOOLS, site)
    name = "baseline: Logger+Tracer+Metrics only"
    print(f"{name:40} {powertools_wall:11.1f} {powertools_cpu:10.1f} {powertools_process:8.1f} {1.0:17.2f}")
    unpatched_wall, unpatched_cpu, unpatched_process = cold_import(MINIMAL_POWERTOOLS_UNPATCHED, site)
    name, ratio = "baseline: same, Tracer(auto_patch=False)", unpatched_cpu / powertools_cpu
    print(f"{name:40} {unpatched_wall:11.1f} {unpatched_cpu:10.1f} {unpatched_process:8.1f} {ratio:17.2f}")
    worst_wall = worst_cpu = 0.0
    for module in HANDLERS:
        imported, imported_cpu, process = cold_import(f"import handlers.{module}", site)
        worst_wall, worst_cpu = max(worst_wall, imported), max(worst_cpu, imported_cpu)
        ratio = imported_cpu / powertools_cpu
        print(f"{'handlers.' + module:40} {imported:11.1f} {imported_cpu:10.1f} {process:8.1f} {ratio:17.2f}")
    for name, statement in FIRST_PUBLISH.items():
        imported, imported_cpu, process = cold_import(statement, site)
        ratio = imported_cpu / powertools_cpu
        print(f"{name:40} {imported:11.1f} {imported_cpu:10.1f} {process:8.1f} {ratio:17.2f}")
    wall_verdict = "met" if worst_wall <= 300 else "MISSED"
    print(f"target import <= 300 ms: wall {wall_verdict} ({worst_wall:.1f} ms), ", end="")
    print(f"cpu {'met' if worst_cpu <= 300 else 'MISSED'} ({worst_cpu:.1f} ms)")


if __name__ == "__main__":
    main()
