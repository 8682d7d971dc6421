"""`vcn check` as CI runs it: exit status, `--json`, and the errors a user can make."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.check.conftest import ROOT, SHOP_TEMPLATE

pytestmark = pytest.mark.slow


def vcn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vcn.cli.main", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_template_of_today_fails_with_a_json_report_naming_each_resource() -> None:
    done = vcn("--json", "--examples", "10", "--traffic", "traffic.yaml")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is False
    failing = {(f["check"], f["resource"]) for f in report["failures"]}
    assert ("alarms", "SupplyConstraintRuleFailedInvocationsAlarm") in failing
    assert ("api-key", "EventsApiKey") in failing
    path = [f for f in report["failures"] if f["check"] == "path"]
    assert path and all("counterexample" in f and "target" in f for f in path)
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert statuses["path"] == "fail" and statuses["iam"] == "pass" and statuses["capacity"] == "pass"
    assert report["cost"]["usd_per_month"] > 0
    assert report["cost"]["prices"]["recorded"]


def test_a_template_without_an_app_profile_runs_the_template_checks_and_says_what_it_skipped() -> None:
    done = vcn("--template", str(SHOP_TEMPLATE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout.splitlines()[0]
    assert "path: not run: the app profile gives no event kinds" in done.stdout


def test_a_human_report_names_the_resource_target_and_counterexample() -> None:
    done = vcn("--examples", "10")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    row = next(line for line in lines if "SupplyConstraintRule" in line and "PlantChannel" in line)
    assert row.split()[0] == "path"
    assert any(line.strip().startswith('counterexample (detail.constraintId = "\\""):') for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--template", "nowhere.yaml"), "template nowhere.yaml does not exist"),
        (("--traffic", "nowhere.yaml"), "traffic profile nowhere.yaml does not exist"),
        (("--examples", "0"), "--examples must be at least 1"),
    ],
)
def test_a_mistake_on_the_command_line_is_one_error_line(args: tuple[str, ...], message: str) -> None:
    done = vcn(*args)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {message}")


def test_a_traffic_profile_mistake_is_one_error_line_naming_the_key(tmp_path: Path) -> None:
    traffic = tmp_path / "traffic.yaml"
    traffic.write_text("events:\n  per_day:\n    Unknown: 5\n")
    done = vcn("--traffic", str(traffic), "--examples", "1")
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {traffic}: events.per_day.Unknown: no such event type (known: ")
