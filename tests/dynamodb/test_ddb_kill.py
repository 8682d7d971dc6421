"""`kill -9` of a real `vcn local up`: what its DynamoDB acknowledged is there after a restart."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.dynamodb_process import dynamodb_client
from tests.support.local_cloud import AWS, start_cloud, stop_cloud

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TEMPLATE = Path(__file__).parent / "notes_app" / "template.yaml"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def wait_until_free(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"port {port} is still taken: the local DynamoDB outlived its cloud"
                    ) from None
        time.sleep(0.1)


def test_items_written_before_kill_9_are_there_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    cloud = start_cloud(state, "--template", str(TEMPLATE))
    url = cloud.info["dynamodb"]
    env = {**cloud.aws_env(), "AWS_ENDPOINT_URL_DYNAMODB": url}
    for index in range(12):  # the AWS CLI, as a user would write them
        item = {"topic": {"S": "t"}, "at": {"S": f"{index:03d}"}, "author": {"S": "ann"}}
        subprocess.run(
            [AWS, "dynamodb", "put-item", "--table-name", "Notes", "--item", json.dumps(item)],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
    # and one through a function run with `vcn local invoke`, which finds the endpoint in local.json
    event = tmp_path / "note.json"
    event.write_text(json.dumps({"topic": "t", "at": "999", "author": "fn"}))
    invoked = cloud.vcn("local", "invoke", "Writer", "-e", str(event), "--template", str(TEMPLATE))
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout)["endpoint"] == url

    cloud.process.send_signal(signal.SIGKILL)
    cloud.process.wait(timeout=30)
    wait_until_free(port_of(url))  # its DynamoDB stopped with it (its stdin pipe closed)

    again = start_cloud(state, "--template", str(TEMPLATE))
    try:
        client = dynamodb_client(again.info["dynamodb"])
        items = client.query(
            TableName="Notes",
            KeyConditionExpression="topic = :t",
            ExpressionAttributeValues={":t": {"S": "t"}},
        )["Items"]
        assert [item["at"]["S"] for item in items] == [f"{index:03d}" for index in range(12)] + ["999"]
        # CreateTable, UpdateTimeToLive, UpdateContinuousBackups and the 13 puts
        assert "replayed 16 journal entries" in again.log_tail(200)
    finally:
        stop_cloud(again)
