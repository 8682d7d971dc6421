"""End to end: an expired API key breaks notification delivery exactly as on AWS, and the keeper prevents it.

The template declares the key without Expires (AWS's 7 days). The test moves the stored key's last
extension a month into the past, as if the keeper had stopped running: on restart, every publish of the
EventBridge connection is answered 401, retried, and dead-lettered. The key keeper, invoked through the
local cloud's Lambda runtime (`vcn local invoke`), extends the key through the local AppSync control plane
(boto3 `appsync`, UpdateApiKey); new notifications arrive again and a redrive delivers the dead letters.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.local_cloud import AWS, ROOT, RawSubscriber, RunningCloud, start_cloud, stop_cloud
from vcn.appsync.api_keys import ApiKeyStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DAY = 86400
KEEPER_EVENT = ROOT / "events" / "invoke" / "api-key-keeper-scheduled.json"
DLQ = "NotificationDeadLetterQueue"


def ports_of(cloud: RunningCloud) -> list[int]:
    appsync = cloud.info["appsync"]
    urls = [cloud.info["api"], cloud.info["eventbridge"], appsync["http"], appsync["https"]]
    return [int(url.split(":")[2].split("/")[0]) for url in urls]


def appsync_client(cloud: RunningCloud) -> Any:
    base = cloud.info["appsync"]["http"].removesuffix("/event")
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=cloud.info["region"]
    )
    return session.client("appsync", endpoint_url=base)


def _api_id_of(cloud: RunningCloud) -> str:
    (folder,) = (cloud.state_dir / "appsync").iterdir()
    return folder.name


def put_supply_event(cloud: RunningCloud, constraint_id: str, tmp_path: Path) -> str:
    detail = {
        "constraintId": constraint_id,
        "plant": "ZWI",
        "partNumber": "BAT-MOD-86KWH-7731",
        "severity": "HIGH",
        "affectedConfigurations": [],
        "priority": "HIGH",
    }
    entries = [
        {
            "Source": "vehicle-config.supply",
            "DetailType": "SupplyConstraintRaised",
            "Detail": json.dumps(detail),
            "EventBusName": "vehicle-config",
        }
    ]
    path = tmp_path / f"{constraint_id}.json"
    path.write_text(json.dumps(entries))
    sent = subprocess.run(
        [
            AWS, "events", "put-events", "--entries", f"file://{path}",
            "--endpoint-url", cloud.info["eventbridge"],
        ],
        capture_output=True, text=True, timeout=60, env=cloud.aws_env(),
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    return str(json.loads(sent.stdout)["Entries"][0]["EventId"])


def dead_letters_of(cloud: RunningCloud, constraint_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """The dead letters of a supply constraint's notification (the supply ingress's checked event)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = cloud.vcn("dlq", "list", "--queue", DLQ).stdout.splitlines()
        shown = [
            json.loads(cloud.vcn("dlq", "show", line.split()[0]).stdout)
            for line in listed
            if line.strip() != "no dead-letter messages"
        ]
        found = [
            message
            for message in shown
            if message["Redrive"]["Event"].get("detail", {}).get("constraintId") == constraint_id
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_lapsed_key_dead_letters_every_notification_until_the_keeper_extends_it(
    fast_retry_cloud: RunningCloud, tmp_path: Path
) -> None:
    cloud = fast_retry_cloud
    client = appsync_client(cloud)
    api = _api_id_of(cloud)
    (key,) = client.list_api_keys(apiId=api)["apiKeys"]
    assert key["id"] == cloud.info["appsync"]["apiKey"]
    assert time.time() + 6 * DAY < key["expires"] <= time.time() + 7 * DAY  # no Expires: AWS's 7 days

    # As if the keeper had last run a month ago and the key then lapsed yesterday.
    ports = ports_of(cloud)
    stop_cloud(cloud, signal.SIGTERM)
    month_ago = time.time() - 30 * DAY
    path = cloud.state_dir / "appsync" / api / "api-keys.json"
    ApiKeyStore(api, path, clock=lambda: month_ago).update(key["id"], None, int(month_ago) + 29 * DAY)
    restarted = start_cloud(cloud.state_dir, "--retry-base-seconds", "0.01", ports=ports)
    cloud.process, cloud.info = restarted.process, restarted.info
    token = cloud.token("admin")

    async def lapsed_then_kept() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, str]:
        async with RawSubscriber(cloud.info["appsync"]["realtime"], token) as subscriber:
            reply = await subscriber.subscribe("/plants/ZWI")
            assert reply["type"] == "subscribe_success", reply
            lost = await asyncio.to_thread(put_supply_event, cloud, "sc-key-lapsed", tmp_path)
            while_lapsed = await subscriber.notifications(1, timeout=3)
            dead = await asyncio.to_thread(dead_letters_of, cloud, "sc-key-lapsed")
            assert dead, f"no dead letter for {lost}:\n{cloud.log_tail()}"
            kept = await asyncio.to_thread(
                cloud.vcn, "local", "invoke", "ApiKeyKeeperFunction", "-e", str(KEEPER_EVENT), timeout=120
            )
            assert kept.returncode == 0, kept.stdout + kept.stderr
            (outcome,) = json.loads(kept.stdout)["keys"]
            assert outcome["daysLeft"] > 364
            delivered = await asyncio.to_thread(put_supply_event, cloud, "sc-key-kept", tmp_path)
            after = await subscriber.notifications(1, timeout=20)
            redriven = await asyncio.to_thread(cloud.vcn, "dlq", "redrive", "--queue", DLQ)
            assert redriven.returncode == 0, redriven.stdout + redriven.stderr
            after += await subscriber.notifications(1, timeout=20)
            return while_lapsed, dead + after, lost, delivered

    while_lapsed, outcome, lost, delivered = asyncio.run(lapsed_then_kept())
    assert while_lapsed == []
    (dead, *received) = outcome
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "HTTP_401", attributes  # AppSync refused the lapsed key
    assert int(attributes["RETRY_ATTEMPTS"]) == 8  # 401 is retried, as EventBridge does, then given up
    assert [n["constraintId"] for n in received] == ["sc-key-kept", "sc-key-lapsed"]
    # the redriven notification is the dead-lettered checked event, not what the supply system put
    assert received[1]["eventId"] == dead["Redrive"]["Event"]["id"]
    assert dead["Redrive"]["Event"]["source"] == "vehicle-config.supply.checked"
    assert not {n["eventId"] for n in received} & {delivered, lost}
    (key,) = appsync_client(cloud).list_api_keys(apiId=api)["apiKeys"]
    assert key["expires"] > time.time() + 364 * DAY
