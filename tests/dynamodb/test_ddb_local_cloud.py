"""The local DynamoDB inside the local cloud: the template's tables, functions' boto3, restarts, ports."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.support.dynamodb_process import dynamodb_client
from tests.support.local_cloud import free_ports
from vcn.local.cloud import LocalCloudConfig, LocalCloudError, running_cloud
from vcn.local.ports import LocalPorts, PortInUse

NOTES_APP = Path(__file__).parent / "notes_app"
GENERIC = Path(__file__).parents[1] / "generic_wing" / "template.yaml"


def config(template: Path, state_dir: Path, dynamodb_port: int | None = None) -> LocalCloudConfig:
    """Ports from the test support's slice, below the ephemeral range (see tests/generic_wing/shop.py)."""
    api, eventbridge, appsync, dynamodb = free_ports(4)
    ports = LocalPorts(api, eventbridge, appsync, None, dynamodb if dynamodb_port is None else dynamodb_port)
    return LocalCloudConfig(template, ports=ports, state_dir=state_dir)


def describe(url: str) -> dict[str, Any]:
    client = dynamodb_client(url)
    return {
        "table": client.describe_table(TableName="Notes")["Table"],
        "ttl": client.describe_time_to_live(TableName="Notes")["TimeToLiveDescription"],
        "pitr": client.describe_continuous_backups(TableName="Notes")["ContinuousBackupsDescription"],
        "items": client.scan(TableName="Notes")["Items"],
    }


def test_the_templates_table_exists_as_declared_and_functions_write_it_with_plain_boto3(
    tmp_path: Path,
) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], Any, str]:
        async with running_cloud(config(NOTES_APP / "template.yaml", tmp_path / "state")) as cloud:
            assert cloud.dynamodb is not None
            local = json.loads((tmp_path / "state" / "local.json").read_text())
            written = await cloud.runtime.invoke("Writer", {"topic": "t", "at": "1", "author": "ann"})
            return local, await asyncio.to_thread(describe, cloud.dynamodb.url), written, cloud.dynamodb.url

    local, state, written, url = asyncio.run(scenario())
    assert local["dynamodb"] == url
    table = state["table"]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["byAuthor"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert state["ttl"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    assert state["pitr"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    # The function's boto3 found the local DynamoDB through AWS_ENDPOINT_URL_DYNAMODB.
    assert written == {"stored": {"topic": "t", "at": "1", "author": "ann"}, "endpoint": url}
    assert state["items"] == [{"topic": {"S": "t"}, "at": {"S": "1"}, "author": {"S": "ann"}}]


def test_a_restart_keeps_the_items_and_brings_a_changed_table_in_line(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(NOTES_APP, app)
    template = app / "template.yaml"

    async def run(put: bool) -> dict[str, Any]:
        async with running_cloud(config(template, tmp_path / "state")) as cloud:
            assert cloud.dynamodb is not None
            if put:
                await cloud.runtime.invoke("Writer", {"topic": "t", "at": "1", "author": "ann"})
            return await asyncio.to_thread(describe, cloud.dynamodb.url)

    asyncio.run(run(put=True))
    again = asyncio.run(run(put=False))  # the same template: nothing to change, nothing lost
    assert again["items"] == [{"topic": {"S": "t"}, "at": {"S": "1"}, "author": {"S": "ann"}}]

    # Another index and no TTL: changes DynamoDB makes in place.
    text = template.read_text()
    template.write_text(
        text.replace("IndexName: byAuthor", "IndexName: byWriter").replace(
            "TimeToLiveSpecification: {AttributeName: expiresAt, Enabled: true}", ""
        )
    )
    changed = asyncio.run(run(put=False))
    assert [index["IndexName"] for index in changed["table"]["GlobalSecondaryIndexes"]] == ["byWriter"]
    assert changed["ttl"]["TimeToLiveStatus"] == "DISABLED"
    assert len(changed["items"]) == 1

    # Other keys would mean a new table: refused, saying how to start afresh.
    template.write_text(
        template.read_text().replace("        - {AttributeName: at, KeyType: RANGE}\n", "", 1)
    )
    with pytest.raises(LocalCloudError, match=r"table Notes .* key schema .*rm -r <state-dir>/dynamodb"):
        asyncio.run(run(put=False))


def test_a_template_without_tables_starts_no_dynamodb(tmp_path: Path) -> None:
    async def scenario() -> tuple[Any, dict[str, Any]]:
        async with running_cloud(config(GENERIC, tmp_path / "state")) as cloud:
            return cloud.dynamodb, json.loads((tmp_path / "state" / "local.json").read_text())

    dynamodb, local = asyncio.run(scenario())
    assert dynamodb is None and local["dynamodb"] is None
    assert not (tmp_path / "state" / "dynamodb").exists()


def test_a_taken_dynamodb_port_is_reported_with_the_flag_that_moves_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def scenario() -> None:
            async with running_cloud(config(NOTES_APP / "template.yaml", tmp_path / "state", port)):
                pass

        with pytest.raises(PortInUse, match=f"port {port} is in use; pass --dynamodb-port"):
            asyncio.run(scenario())
    assert not (tmp_path / "state" / "local.json").exists()


def test_tables_whose_condition_is_false_start_no_dynamodb(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(NOTES_APP, app)
    template = app / "template.yaml"
    text = template.read_text()
    text = text.replace("Resources:\n", "Conditions:\n  Never: !Equals [a, b]\nResources:\n", 1)
    text = text.replace(
        "    Type: AWS::DynamoDB::Table\n", "    Type: AWS::DynamoDB::Table\n    Condition: Never\n"
    )
    text = text.replace("TABLE_NAME: !Ref Notes", "TABLE_NAME: none").split("Outputs:")[0]
    template.write_text(text)

    async def scenario() -> tuple[Any, dict[str, Any]]:
        async with running_cloud(config(template, tmp_path / "state")) as cloud:
            return cloud.dynamodb, json.loads((tmp_path / "state" / "local.json").read_text())

    dynamodb, local = asyncio.run(scenario())
    assert dynamodb is None and local["dynamodb"] is None
