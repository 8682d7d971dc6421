"""End to end: `vcn` commands against a running local cloud (subscribe, emit, publish, demo, metrics, dlq)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.local_cloud import ROOT, VCN, RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _start_subscriber(
    cloud: RunningCloud, channel: str, user: str, count: int, *options: str
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            VCN,
            "subscribe",
            channel,
            "--user",
            user,
            "--count",
            str(count),
            "--state-dir",
            str(cloud.state_dir),
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    # The subscriber says so on stderr once AppSync confirmed the subscription.
    line = process.stderr.readline()
    assert line.startswith("subscribed to"), line + process.stderr.read()
    return process


def _finish(process: subprocess.Popen[str], timeout: float = 30) -> list[dict[str, object]]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"subscriber did not receive everything: {out}\n{err}") from None
    assert process.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_subscribe_prints_emitted_events_as_json_lines(local_cloud: RunningCloud) -> None:
    subscriber = _start_subscriber(local_cloud, "/plants/*", "supply-lead", 2)
    emitted = local_cloud.vcn("emit", str(ROOT / "events" / "put-events" / "supply-constraint-raised.json"))
    assert emitted.returncode == 0, emitted.stderr
    put_ids = {entry["EventId"] for entry in json.loads(emitted.stdout)["Entries"]}
    notifications = _finish(subscriber)
    # Notified from the supply ingress's checked events: one each, with new event ids.
    assert {n["constraintId"] for n in notifications} == {"sc-2026-11-0193", "sc-2026-11-0194"}
    assert (
        len({n["eventId"] for n in notifications}) == 2
        and not {n["eventId"] for n in notifications} & put_ids
    )
    assert {n["plant"] for n in notifications} == {"ZWI", "WOB"}
    assert all(n["type"] == "SupplyConstraintRaised" for n in notifications)


def test_publish_reaches_a_subscriber(local_cloud: RunningCloud) -> None:
    subscriber = _start_subscriber(local_cloud, "/markets/DE/VELA", "analyst-de", 2)
    published = local_cloud.vcn(
        "publish", "/markets/DE/VELA", '{"type":"Hello","n":1}', '{"type":"Hello","n":2}'
    )
    assert published.returncode == 0, published.stderr
    assert len(json.loads(published.stdout)["successful"]) == 2
    assert [n["n"] for n in _finish(subscriber)] == [1, 2]


def test_subscribe_can_print_each_event_id_once(local_cloud: RunningCloud) -> None:
    subscriber = _start_subscriber(local_cloud, "/markets/DE/VELA", "analyst-de", 2, "--dedupe-by", "eventId")
    events = ['{"eventId":"e-1","n":1}', '{"eventId":"e-1","n":1}', '{"eventId":"e-2","n":2}']
    published = local_cloud.vcn("publish", "/markets/DE/VELA", *events)
    assert published.returncode == 0, published.stderr
    assert [n["eventId"] for n in _finish(subscriber)] == ["e-1", "e-2"]


def test_demo_stream_reaches_the_demo_analysts(local_cloud: RunningCloud) -> None:
    subscriber = _start_subscriber(local_cloud, "/markets/*", "admin", 3)
    demo = local_cloud.vcn("demo", "--rate", "20", "--count", "15")
    assert demo.returncode == 0, demo.stderr
    assert "demo: sent 15 business events" in demo.stdout
    notifications = _finish(subscriber)
    assert {n["market"] for n in notifications} <= {"DE", "FR", "US"}
    assert {n["type"] for n in notifications} <= {"ConfigurationValidated", "SpecAdjustmentRecommended"}


def test_metrics_and_an_empty_dead_letter_queue(local_cloud: RunningCloud) -> None:
    metrics = json.loads(local_cloud.vcn("metrics").stdout)
    assert sum(target["Invocations"] for target in metrics["eventbridge"]["targets"]) > 0
    appsync = metrics["appsync"]
    assert appsync["SlowSubscriberQueuedBytesCap"] == 256 * 1024 * 1024
    assert (
        appsync["SlowSubscribersDroppedOverTotalCap"]
        == appsync["SlowSubscribersDroppedOverConnectionCap"]
        == 0
    )
    assert {"ActiveConnections", "OutboundMessages", "IdleConnectionsClosed", "RequestHeaderTimeouts"} <= set(
        appsync
    )
    listed = local_cloud.vcn("dlq", "list")
    assert listed.returncode == 0 and listed.stdout.strip() == "no dead-letter messages"
    shown = local_cloud.vcn("dlq", "show", "no-such-id")
    assert shown.returncode == 1 and shown.stderr.startswith("error: no dead-letter message no-such-id")


def test_commands_without_a_running_cloud_say_how_to_start_one() -> None:
    result = subprocess.run(
        [VCN, "emit", "events/put-events/supply-constraint-raised.json", "--state-dir", "/nonexistent/vcn"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: no local cloud is running") and "vcn local up" in result.stderr
