"""`vcn local up` with a working notification history, for browser and end-to-end tests of recovery.

The local cloud serves DynamoDB itself once it has it (it then names the endpoint as `dynamodb` in
local.json); these tests use that. A cloud without it gets moto's DynamoDB server wired in by hand, as one
would today: the table built from template.yaml under the name the template's `!Ref` resolves to locally,
and `--env-vars` pointing the recorder and the history API at it (AWS_ENDPOINT_URL_DYNAMODB).
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from vehicle_config.notifications import CONFIGURATION_VALIDATED, VALIDATION_SOURCE

from tests.support.dynamodb import HISTORY_TABLE, create_table_request, local_dynamodb, template_table
from tests.support.history_rig import validated_configuration
from tests.support.local_cloud import AWS, RunningCloud, start_cloud, stop_cloud

HISTORY_FUNCTIONS = ("HistoryRecorderFunction", "HistoryApiFunction")


@contextmanager
def cloud_with_history(state_dir: Path, *, prefer_local_dynamodb: bool = True) -> Iterator[RunningCloud]:
    """A running cloud whose history works; `cloud.info["historyStore"]` says which DynamoDB serves it and
    `cloud.info["historyEndpoint"]` where it listens."""
    with ExitStack() as stack:
        cloud = start_cloud(state_dir)
        if cloud.info.get("dynamodb") and prefer_local_dynamodb:
            cloud.info["historyStore"] = "local cloud"
            cloud.info["historyEndpoint"] = cloud.info["dynamodb"]
        else:
            stop_cloud(cloud)
            dynamodb = stack.enter_context(local_dynamodb())
            dynamodb.client().create_table(**create_table_request(template_table(), HISTORY_TABLE))
            env_vars = state_dir.parent / f"{state_dir.name}-history-env.json"
            wiring = {"AWS_ENDPOINT_URL_DYNAMODB": dynamodb.endpoint}
            env_vars.write_text(json.dumps(dict.fromkeys(HISTORY_FUNCTIONS, wiring)))
            cloud = start_cloud(state_dir, "--env-vars", str(env_vars))
            cloud.info["historyStore"] = "moto wired with --env-vars"
            cloud.info["historyEndpoint"] = dynamodb.endpoint
        try:
            yield cloud
        finally:
            if cloud.process.poll() is None:
                stop_cloud(cloud)


def put_validations(
    cloud: RunningCloud, directory: Path, count: int, *, market: str, model_line: str, user: str
) -> list[str]:
    """`aws events put-events` (the real AWS CLI) of `count` ConfigurationValidated events, ten per call,
    for `user` in `market`; the event ids, in the order put."""
    event_ids: list[str] = []
    for first in range(0, count, 10):
        entries = [
            {
                "Source": VALIDATION_SOURCE,
                "DetailType": CONFIGURATION_VALIDATED,
                "EventBusName": cloud.info["eventBusName"],
                "Detail": json.dumps(validated_configuration(market, model_line, user)),
            }
            for _ in range(first, min(count, first + 10))
        ]
        path = directory / f"entries-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(entries))
        sent = subprocess.run(
            [AWS, "events", "put-events", "--entries", f"file://{path}",
             "--endpoint-url", cloud.info["eventbridge"], "--output", "json"],
            capture_output=True, text=True, timeout=60, env=cloud.aws_env(),
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        response = json.loads(sent.stdout)
        assert response["FailedEntryCount"] == 0, response
        event_ids += [entry["EventId"] for entry in response["Entries"]]
    return event_ids
