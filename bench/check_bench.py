"""How long `vcn check` takes on template.yaml, by phase, beside the cost of loading the template.

Baseline in the same process: `load_stack(template.yaml)` (SAM transform and resolution), which every vcn
command that reads the template pays. Then, on the loaded stack: replaying the EventBridge resources into a
local control plane, the explicit examples (every field of each ordinary event replaced in turn), the events
Hypothesis draws (100 per kind, the default), shrinking the failures only drawn events found, and the
template-only checks. Last, the whole command as `make test` runs it, in a fresh interpreter. Median of 3.

Command: `.venv/bin/python -m bench.check_bench`
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_profile import PROFILE
from vcn.check.alarms import watched_queues
from vcn.check.api_keys import check_api_keys
from vcn.check.iam import check_breadth
from vcn.check.paths import PathCheck, PathSettings
from vcn.check.routes import build_routes
from vcn.check.secrets import check_secrets
from vcn.check.sources import check_sources
from vcn.local.invoke import local_identity_at
from vcn.template import LocalEndpoints, load_stack

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
ROUNDS = 3


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def one_round() -> dict[str, float]:
    endpoints = LocalEndpoints()
    parameters = dict(PROFILE.local_parameters(local_identity_at(endpoints)))
    seconds: dict[str, float] = {}
    seconds["baseline: load_stack(template.yaml)"], stack = timed(
        lambda: load_stack(TEMPLATE, endpoints=endpoints, parameter_overrides=parameters)
    )
    seconds["replay EventBridge resources"], routes = timed(lambda: build_routes(stack, stack.view))
    assert PROFILE.check is not None
    contribution = PROFILE.check()
    kinds = contribution.event_kinds
    view = stack.view
    assert view is not None
    watched = watched_queues(stack.alarms)
    seconds["trusted and open sources (bus policy)"], sources = timed(
        lambda: check_sources(view, contribution, "VehicleConfigBus", watched)
    )
    paths = PathCheck(
        routes.on_bus(stack.event_bus_name),
        "VehicleConfigBus",
        PathSettings(),
        watched,
        sources.trusted,
        sources.gates,
    )

    def explicit() -> None:
        for kind in kinds:
            paths.explore_examples(kind)

    def drawn() -> None:
        for index, kind in enumerate(kinds):
            paths.explore_random(kind, index)

    seconds["explicit examples"], _ = timed(explicit)
    seconds["drawn events (100 per kind)"], _ = timed(drawn)
    seconds["api keys, secrets, IAM"], _ = timed(
        lambda: (check_api_keys(view), check_secrets(stack, view), check_breadth(view))
    )
    command = [sys.executable, "-m", "vcn.cli.main", "check", "--traffic", "traffic.yaml"]
    seconds["vcn check --traffic (fresh interpreter)"], _ = timed(
        lambda: subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    )
    return seconds


def main() -> None:
    rounds = [one_round() for _ in range(ROUNDS)]
    baseline = statistics.median(r["baseline: load_stack(template.yaml)"] for r in rounds)
    print(f"{'phase':<42} {'seconds':>8} {'x load_stack':>13}")
    for phase in rounds[0]:
        value = statistics.median(r[phase] for r in rounds)
        print(f"{phase:<42} {value:>8.2f} {value / baseline:>13.1f}")


if __name__ == "__main__":
    main()
