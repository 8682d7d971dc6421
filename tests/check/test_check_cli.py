"""`vcn check` as CI runs it: exit status, `--json`, and the errors a user can make."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.check.conftest import PROJECT_TEMPLATE, ROOT, SHOP_TEMPLATE, resources, seeded_copy

pytestmark = pytest.mark.slow


def vcn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vcn.cli.main", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def strip_bus_dimension(document: dict[str, Any]) -> None:
    alarm = resources(document)["SupplyConstraintRuleFailedInvocationsAlarm"]["Properties"]
    alarm["Dimensions"] = [d for d in alarm["Dimensions"] if d["Name"] != "EventBusName"]


def test_a_failing_template_exits_1_with_a_json_report_naming_each_resource(tmp_path: Path) -> None:
    copy = seeded_copy(PROJECT_TEMPLATE, tmp_path, strip_bus_dimension)
    done = vcn("--template", str(copy), "--json", "--examples", "10", "--traffic", "traffic.yaml")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is False
    failing = {(f["check"], f["resource"]) for f in report["failures"]}
    assert ("alarms", "SupplyConstraintRuleFailedInvocationsAlarm") in failing
    for finding in report["failures"] + report["kept"]:
        if finding["check"] == "path":
            assert "counterexample" in finding and "kind" in finding, finding
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert statuses["alarms"] == "fail" and statuses["iam"] == "pass" and statuses["capacity"] == "pass"
    assert report["cost"]["usd_per_month"] > 0
    assert report["cost"]["prices"]["recorded"]


def test_a_passing_template_exits_0(tmp_path: Path) -> None:
    copy = seeded_copy(SHOP_TEMPLATE, tmp_path, lambda document: None)
    (tmp_path / "pyproject.toml").write_text('[tool.vcn]\nprofile = "tests.check.shop_profile:PROFILE"\n')
    done = vcn("--template", str(copy))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].endswith(")") and ": passed (" in done.stdout.splitlines()[0]
    assert "  ok    path " in done.stdout


def test_a_template_without_an_app_profile_runs_the_template_checks_and_says_what_it_skipped() -> None:
    done = vcn("--template", str(SHOP_TEMPLATE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout.splitlines()[0]
    assert "path: not run: the app profile gives no event kinds" in done.stdout


def test_a_human_report_names_the_resource_target_and_counterexample(tmp_path: Path) -> None:
    copy = seeded_copy(SHOP_TEMPLATE, tmp_path, lambda document: None)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.vcn]\nprofile = "tests.check.shop_profile:HOSTILE_PROFILE"\n'
    )
    done = vcn("--template", str(copy), "--examples", "10")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    row = next(line for line in lines if "OrderShippedRule" in line and "RegionChannel" in line)
    assert row.split()[0] == "path"
    assert any(line.strip().startswith('counterexample (detail.region = "\\""):') for line in lines)


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
