"""End to end: AppSync unreachable -> the rule's FailedInvocations alarm and the dead-letter queue's alarm go
to ALARM -> `vcn dlq redrive` after recovery -> both back to OK, read with `vcn alarms` from `vcn local up`.

The cloud runs this project's template with `--time-scale 300` (a five-minute period passes in one second).
The fault is real: the supply rule's target is re-pointed, with the ordinary EventBridge API, at an API
destination whose endpoint refuses connections; recovery points it back at AppSync's.

The template's FailedInvocations alarms name the dimensions AWS/Events reports for a rule on a custom bus
(EventBusName and RuleName), so the start-up check reports none of them. The last test removes EventBusName
from one alarm on purpose: `vcn local up` reports it at start.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_cloud import ROOT, RunningCloud, cloud_running, free_ports, start_cloud, stop_cloud
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.template.yaml_loader import load_template_file

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
RULE = "SupplyConstraintRule"
RULE_ALARM = "SupplyConstraintRuleFailedInvocationsAlarm"
DLQ_ALARM = "NotificationDeadLetterQueueAlarm"
EVENTS = 2
TIME_SCALE = "300"
BOTH = {RULE_ALARM, DLQ_ALARM}
# A state change as the local CloudWatch logs it; only whole lines (a line being written has no newline yet).
ALARMED = re.compile(r"alarm (?P<name>\S+): OK -> ALARM: (?P<reason>[^\n]*)\n")


def _strip_bus_dimension(template: dict[str, Any], alarm: str) -> None:
    properties = template["Resources"][alarm]["Properties"]
    properties["Dimensions"] = [d for d in properties["Dimensions"] if d["Name"] != "EventBusName"]


# Its metric comes from the key keeper's daily report, which a short test run never reaches.
AWAITS_DAILY_REPORT = "ApiKeyLifetimeAlarm"


def all_ok(current: dict[str, dict[str, Any]]) -> bool:
    """Every alarm OK; the key-lifetime alarm may still wait for its first data (not ALARM)."""
    return all(
        alarm["StateValue"] == "OK"
        or (name == AWAITS_DAILY_REPORT and alarm["StateValue"] == "INSUFFICIENT_DATA")
        for name, alarm in current.items()
    )


def copy_project(folder: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """The project with a changed template; code, console and pyproject.toml are the project's own, linked."""
    folder.mkdir(parents=True, exist_ok=True)
    template = load_template_file(ROOT / "template.yaml")
    change(template)
    (folder / "template.yaml").write_text(json.dumps(template, indent=1))  # JSON is YAML to the loader
    for name in ("functions", "web", "pyproject.toml"):
        os.symlink(ROOT / name, folder / name)
    return folder / "template.yaml"


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as it is, in a folder of its own (the last test changes its copy)."""
    return copy_project(tmp_path_factory.mktemp("project"), lambda template: None)


@pytest.fixture(scope="module")
def cloud(project_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with cloud_running(
        tmp_path_factory.mktemp("alarms") / "state",
        "--template",
        str(project_copy),
        "--retry-base-seconds",
        "0.01",
        "--time-scale",
        TIME_SCALE,
    ) as running:
        yield running


def alarms(cloud: RunningCloud) -> dict[str, dict[str, Any]]:
    listed = cloud.vcn("alarms", "--json")
    assert listed.returncode == 0, listed.stderr
    return {alarm["AlarmName"]: alarm for alarm in json.loads(listed.stdout)["MetricAlarms"]}


def first_alarms(cloud: RunningCloud) -> dict[str, str]:
    """Each alarm that went from OK to ALARM, with the reason of its first change, from the cloud's log."""
    found: dict[str, str] = {}
    for change in ALARMED.finditer(cloud.log_path.read_text(errors="replace")):
        found.setdefault(change["name"], change["reason"])
    return found


def wait_for(cloud: RunningCloud, what: str, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s:\n{cloud.log_tail(80)}")
        time.sleep(0.2)


def point_rule_at(cloud: RunningCloud, destination_arn: str) -> str:
    """Re-point the supply rule's target (its DLQ, retry policy and transformer stay); returns the old ARN."""
    events = cloud.events_client()
    bus = cloud.info["eventBusName"]
    targets = events.list_targets_by_rule(Rule=RULE, EventBusName=bus)["Targets"]
    reply = events.put_targets(
        Rule=RULE, EventBusName=bus, Targets=[{**target, "Arn": destination_arn} for target in targets]
    )
    assert reply["FailedEntryCount"] == 0, reply
    return str(targets[0]["Arn"])


def unreachable_destination(cloud: RunningCloud, appsync_destination: str) -> str:
    events = cloud.events_client()
    name = appsync_destination.split(":api-destination/", 1)[1].split("/")[0]
    connection = events.describe_api_destination(Name=name)["ConnectionArn"]
    closed_port = free_ports(1)[0]  # bound and closed again: nothing listens there
    return str(
        events.create_api_destination(
            Name="UnreachableAppSync",
            ConnectionArn=connection,
            InvocationEndpoint=f"http://127.0.0.1:{closed_port}/event",
            HttpMethod="POST",
        )["ApiDestinationArn"]
    )


def supply_entries(bus: str) -> list[dict[str, Any]]:
    template = json.loads((ROOT / "events" / "put-events" / "supply-constraint-raised.json").read_text())[0]
    detail = json.loads(template["Detail"])
    return [
        {
            **template,
            "EventBusName": bus,
            "Detail": json.dumps({**detail, "constraintId": f"sc-alarm-{index}"}),
        }
        for index in range(EVENTS)
    ]


def test_alarms_go_to_alarm_while_appsync_is_unreachable_and_back_to_ok_after_redrive(
    cloud: RunningCloud,
) -> None:
    store = DeadLetterStore(cloud.state_dir)
    listed = cloud.vcn("alarms")
    assert listed.returncode == 0, listed.stderr
    assert "FailedInvocations" not in listed.stderr  # no warning: every alarm can see its metric
    wait_for(cloud, "every alarm OK", lambda: all_ok(alarms(cloud)))

    events = cloud.events_client()
    bus = cloud.info["eventBusName"]
    original = events.list_targets_by_rule(Rule=RULE, EventBusName=bus)["Targets"][0]["Arn"]
    point_rule_at(cloud, unreachable_destination(cloud, original))
    sent = events.put_events(Entries=supply_entries(bus))
    assert sent["FailedEntryCount"] == 0, sent

    wait_for(cloud, "both events dead-lettered", lambda: len(store.list()) == EVENTS)
    # Each alarm's first change to ALARM, read from the cloud's log, which records every change as it happens:
    # at --time-scale 300 the rule's alarm sees its failures in one period and, with no datapoint in the next
    # (notBreaching), may be OK again a second later, before a poll of `vcn alarms` on a busy machine.
    wait_for(cloud, "the rule's and the queue's alarms in ALARM", lambda: set(first_alarms(cloud)) >= BOTH)
    fired = first_alarms(cloud)
    assert set(fired) == BOTH, sorted(fired)
    # The alarm fires on the first evaluation that sees a failure: one or both of the events.
    breached = re.compile(
        r"Threshold Crossed: 1 datapoint \[[12]\.0 \(.+\)\] was greater than the threshold \(0\.0\)\."
    )
    for name in (RULE_ALARM, DLQ_ALARM):
        assert breached.fullmatch(fired[name]), fired[name]
    # The queue's alarm stays in ALARM while its messages wait; nothing else is in ALARM.
    text = cloud.vcn("alarms", "--state", "ALARM").stdout.splitlines()
    in_alarm = {line.split()[0] for line in text}
    assert DLQ_ALARM in in_alarm and in_alarm <= {RULE_ALARM, DLQ_ALARM}, text

    point_rule_at(cloud, original)
    redriven = cloud.vcn("dlq", "redrive", "--wait")
    assert redriven.returncode == 0, redriven.stderr
    assert len(json.loads(redriven.stdout)["Redriven"]) == EVENTS
    wait_for(cloud, "every alarm OK again", lambda: all_ok(alarms(cloud)))

    log = cloud.log_path.read_text(errors="replace")
    for name in (RULE_ALARM, DLQ_ALARM):
        assert f"alarm {name}: OK -> ALARM: Threshold Crossed: 1 datapoint [" in log
        assert f"alarm {name}: ALARM -> OK: Threshold Crossed:" in log
    metrics = json.loads(cloud.vcn("metrics").stdout)
    [failed] = [
        metric
        for metric in metrics["CloudWatch"]
        if metric["MetricName"] == "FailedInvocations"
        and {"Name": "RuleName", "Value": RULE} in metric["Dimensions"]
    ]
    assert failed["Namespace"] == "AWS/Events" and failed["Sum"] == EVENTS
    assert {"Name": "EventBusName", "Value": bus} in failed["Dimensions"]
    assert any(target["RuleArn"].endswith(f"/{RULE}") for target in metrics["eventbridge"]["targets"])


def test_an_alarm_without_the_bus_dimension_is_reported_at_start_with_the_fix(tmp_path: Path) -> None:
    template = copy_project(tmp_path / "project", lambda t: _strip_bus_dimension(t, RULE_ALARM))
    running = start_cloud(tmp_path / "state", "--template", str(template))
    try:
        listed = running.vcn("alarms")
        bus = running.info["eventBusName"]
    finally:
        stop_cloud(running)
    expected = (
        f"alarm {RULE_ALARM} watches AWS/Events FailedInvocations with {{RuleName={RULE}}}, which matches no "
        "metric the local cloud emits, so it never sees data: a metric matches only with its exact dimension "
        f"set, in AWS too; what would match: AWS/Events FailedInvocations with {{EventBusName={bus}, "
        f"RuleName={RULE}}} (rule {RULE} is on custom bus {bus}, which reports EventBusName and RuleName "
        "together)"
    )
    assert expected in running.log_path.read_text(errors="replace")
    assert listed.returncode == 0 and f"warning: {expected}" in listed.stderr.splitlines()
