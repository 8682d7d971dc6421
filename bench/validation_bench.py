"""Validation handler latency in-process and cold import time of every handler module.

Run: `.venv/bin/python -m bench.validation_bench` from the repository root.

1. In-process: the Configuration API handler (Powertools resolver, logger, metrics, domain rules, event
   building; an in-memory publisher instead of EventBridge) answering `POST /configurations/validate` with
   the typical configuration of events/invoke/configuration-api-validate.json. Baseline in the same run:
   a JSON round-trip of that same API Gateway event (json.loads(json.dumps(event))). Target: p99 <= 5 ms.
2. Cold import, in the real package layout: each function's package as `sam build` makes it
   (packaging/package_function.py: the handler's module closure + its locked wheels, built here for this
   machine with `--platform host`), imported by a fresh `python3.13 -S` (Lambda's Python) whose path holds
   that package only, in a Lambda-like environment (Tracer on). Baseline in the same run: the layout every
   function shipped before, one bundle with all of functions/ and the union of every function's wheels.
   Also: `python -c pass`, a module with only Logger + Tracer + Metrics (Tracer's default patching, and
   `auto_patch=False`), and the publishing handlers' first `event_publisher()` call. Target: import <= 300 ms.
   Packages are rebuilt into a folder under the system temp dir when a lock or a function changes.

The machine's load average is printed: on a shared machine p99 mostly measures the scheduler.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
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
LOCKS = ROOT / "packaging" / "locks"
PACKAGER = ROOT / "packaging" / "package_function.py"
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
    "EVENTS_API_ID": "benchapi",
    "HISTORY_TABLE_NAME": "bench-history",
    "HISTORY_RETENTION_DAYS": "30",
    "REJECTED_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/bench-rejected",
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


def python313() -> str:
    """Lambda's Python if this machine has it (pyenv or PATH), else the bench's own (printed)."""
    candidates = []
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        candidates += [str(p) for p in sorted(Path(root).glob("versions/3.13*/bin/python3.13"), reverse=True)]
    candidates.append(shutil.which("python3.13") or "")
    for candidate in filter(None, candidates):
        # a pyenv shim may exist for a version that is not installed: it must really run
        if subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return candidate
    return sys.executable


def function_targets() -> dict[str, tuple[str, str]]:
    """Function -> (handler module, lock name), as functions/Makefile packages them."""
    text = (FUNCTIONS / "Makefile").read_text()
    pattern = r"^build-(\w+):\n\t\$\(PACKAGE\) ([\w.]+) ([\w-]+) "
    return {function: (module, lock) for function, module, lock in re.findall(pattern, text, re.MULTILINE)}


def _digest() -> str:
    parts = sorted(LOCKS.glob("*.txt")) + sorted(FUNCTIONS.rglob("*.py")) + [PACKAGER]
    return hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()[:12]


def packages(python: str) -> tuple[dict[str, Path], Path]:
    """Each function's package for this machine, and the old shared bundle (all code, every wheel)."""
    folder = Path(tempfile.gettempdir()) / f"vcn-bench-packages-{_digest()}"
    targets = function_targets()
    shared = folder / "shared-bundle"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        for function, (module, lock) in targets.items():
            command = [python, str(PACKAGER), module, lock, str(folder / function), "--platform", "host"]
            _quietly(command, cwd=FUNCTIONS)
        shutil.copytree(FUNCTIONS, shared, ignore=shutil.ignore_patterns("__pycache__", "Makefile"))
        locks = sorted({lock for _, lock in targets.values()})
        command = [python, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:", "--target"]
        command += [str(shared), *(arg for lock in locks for arg in ("-r", str(LOCKS / f"{lock}.txt")))]
        _quietly(command)
        (folder / ".complete").touch()
    return {function: folder / function for function in targets}, shared


def _quietly(command: list[str], cwd: Path | None = None) -> None:
    """Run a build step; its output is shown only when it fails."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def unzipped_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def cold_import(statement: str | None, site: Path, python: str) -> tuple[float, float, float]:
    """Medians over IMPORT_RUNS runs: wall and CPU ms spent in `statement`, and wall ms of the whole child."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_LAMBDA", "LAMBDA_"))}
    env.update({**FUNCTION_ENV, **LAMBDA_LIKE_ENV, "LAMBDA_TASK_ROOT": str(site), "PYTHONPATH": str(site)})
    code = "pass"
    if statement is not None:
        code = f"import time; c, t = time.process_time(), time.perf_counter(); {statement}; "
        code += "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)"
    inside: list[float] = []
    inside_cpu: list[float] = []
    wall: list[float] = []
    for _ in range(IMPORT_RUNS):
        start = time.perf_counter()
        out = subprocess.run([python, "-S", "-c", code], env=env, capture_output=True, text=True, check=True)
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

    python = python313()
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True, check=True).stdout.strip()  # fmt: skip
    own, shared = packages(python)
    print(f"\nCold import with python {version} -S, each function's package vs the old shared bundle")
    print(
        f"(median of {IMPORT_RUNS} fresh interpreters; milliseconds; sizes unzipped, this machine's wheels)"
    )
    columns = f"{'package MB':>10} {'import wall':>11} {'import cpu':>10} {'process':>8} {'cpu x bundle':>12}"
    print(f"{'module':34} {columns}")
    worker = own["ValidationWorkerFunction"]
    _, _, base_wall = cold_import(None, worker, python)
    print(f"{'baseline: python -c pass':34} {'-':>10} {'-':>11} {'-':>10} {base_wall:8.1f} {'-':>12}")
    for name, statement in (
        ("baseline: Logger+Tracer+Metrics", MINIMAL_POWERTOOLS),
        ("baseline: same, auto_patch=False", MINIMAL_POWERTOOLS_UNPATCHED),
    ):
        wall, cpu, process = cold_import(statement, worker, python)
        print(f"{name:34} {'-':>10} {wall:11.1f} {cpu:10.1f} {process:8.1f} {'-':>12}")
    bundle_mb = unzipped_mb(shared)
    worst_wall = worst_cpu = 0.0
    for function, (module, _) in function_targets().items():
        statement = f"import {module}"
        wall, cpu, process = cold_import(statement, own[function], python)
        bundle_wall, bundle_cpu, bundle_process = cold_import(statement, shared, python)
        worst_wall, worst_cpu = max(worst_wall, wall), max(worst_cpu, cpu)
        size, ratio = unzipped_mb(own[function]), cpu / bundle_cpu
        row = f"{size:10.1f} {wall:11.1f} {cpu:10.1f} {process:8.1f} {ratio:12.2f}"
        print(f"{module:34} {row}")
        row = f"{bundle_mb:10.1f} {bundle_wall:11.1f} {bundle_cpu:10.1f} {bundle_process:8.1f} {1.0:12.2f}"
        print(f"{'  (shared bundle)':34} {row}")
    for name, statement in FIRST_PUBLISH.items():
        function = "ConfigurationApiFunction" if "configuration_api" in name else "ValidationWorkerFunction"
        wall, cpu, process = cold_import(statement, own[function], python)
        print(f"{name:34} {'-':>10} {wall:11.1f} {cpu:10.1f} {process:8.1f} {'-':>12}")
    wall_verdict = "met" if worst_wall <= 300 else "MISSED"
    print(f"target import <= 300 ms: wall {wall_verdict} ({worst_wall:.1f} ms), ", end="")
    print(f"cpu {'met' if worst_cpu <= 300 else 'MISSED'} ({worst_cpu:.1f} ms)")


if __name__ == "__main__":
    main()
