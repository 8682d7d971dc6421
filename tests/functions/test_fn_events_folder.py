"""Every file in events/ is exercised: invoke samples by their handler, entries files by the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from adapters.dynamodb_history import DynamoDbHistory
from adapters.dynamodb_read_state import DynamoDbReadState
from handlers import (
    authorizer,
    configuration_api,
    history_api,
    history_recorder,
    subscribe_guard,
    supply_ingress,
    validation_worker,
)
from vehicle_config.events import VALIDATION_REQUESTED, VALIDATION_SOURCE, parse_validation_requested
from vehicle_config.fields import CHANNEL_SEGMENT_FIELDS, is_channel_segment, is_client_scalar
from vehicle_config.notifications import CHECKED_SUPPLY_SOURCE, NOTIFICATIONS, SUPPLY_SOURCE

from tests.support.fakes import InMemoryEventPublisher
from tests.support.lambda_functions import EVENTS_DIR, FakeLambdaContext
from tests.support.threaded_http import ThreadedHttp

INVOKE_FILES = sorted((EVENTS_DIR / "invoke").glob("*.json"))
ENTRIES_FILES = sorted((EVENTS_DIR / "put-events").glob("*.json"))
# What producers put: supply systems put supply events (the supply ingress puts the checked source).
SOURCE_OF_DETAIL_TYPE = {
    t: SUPPLY_SOURCE if n.source == CHECKED_SUPPLY_SOURCE else n.source for t, n in NOTIFICATIONS.items()
} | {VALIDATION_REQUESTED: VALIDATION_SOURCE}
CATALOG_DETAIL_TYPES = set(SOURCE_OF_DETAIL_TYPE)


def test_events_folder_holds_only_invoke_and_entries_files() -> None:
    files = {p for p in EVENTS_DIR.rglob("*") if p.is_file()}
    assert files == set(INVOKE_FILES) | set(ENTRIES_FILES)
    assert len(INVOKE_FILES) >= 5 and len(ENTRIES_FILES) == len(CATALOG_DETAIL_TYPES)


@pytest.mark.parametrize("path", INVOKE_FILES, ids=lambda p: p.name)
def test_invoke_sample_runs_through_its_function(
    path: Path,
    publisher: InMemoryEventPublisher,
    history_store: DynamoDbHistory,
    read_state_store: DynamoDbReadState,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: FakeLambdaContext,
) -> None:
    event = json.loads(path.read_text())
    name = path.name
    monkeypatch.setattr(history_recorder, "history", lambda: history_store)
    monkeypatch.setattr(history_api, "history", lambda: history_store)
    monkeypatch.setattr(history_api, "read_state", lambda: read_state_store)
    if name.startswith("configuration-api-"):
        response = configuration_api.handler(event, lambda_context)
        assert response["statusCode"] in (200, 202), response["body"]
        assert publisher.published
    elif name.startswith("validation-worker-"):
        answer = validation_worker.handler(event, lambda_context)
        assert "outcome" in answer and publisher.published
    elif name.startswith("authorizer-"):
        # shipped with a placeholder token (replace it with `vcn token ...`); a real token is tested elsewhere
        assert set(event) == {"authorizationToken", "requestContext", "requestHeaders"}
        assert authorizer.handler(event, lambda_context) == {"isAuthorized": False}
    elif name.startswith("subscribe-guard-"):
        assert event["info"]["operation"] == "SUBSCRIBE" and event["events"] is None
        answer = subscribe_guard.handler(event, lambda_context)
        assert (answer is None) is name.endswith("-allowed.json"), answer
    elif name.startswith("api-key-keeper-"):
        # what the daily schedule sends; the keeper ignores it (test_fn_api_key_keeper runs the handler)
        assert (event["source"], event["detail-type"]) == ("aws.events", "Scheduled Event")
    elif name.startswith("history-recorder-"):
        assert history_recorder.handler(event, lambda_context) == {"events": event["events"]}
    elif name.startswith("history-api-"):
        response = history_api.handler(event, lambda_context)
        assert response["statusCode"] == 200, response["body"]
    elif name.startswith("supply-ingress-"):
        # what SupplyIngressRule delivers: a supply system's event, admitted as the checked one
        monkeypatch.setattr(supply_ingress, "event_publisher", lambda: publisher)
        answer = supply_ingress.handler(event, lambda_context)
        assert answer["admitted"] is True, answer
        (checked,) = publisher.published
        assert (checked.source, checked.detail) == ("vehicle-config.supply.checked", event["detail"])
    else:
        pytest.fail(f"{name}: no function claims this sample; name it after its function")


@pytest.mark.parametrize("path", ENTRIES_FILES, ids=lambda p: p.name)
def test_entries_file_holds_catalog_events(path: Path) -> None:
    entries = json.loads(path.read_text())
    assert isinstance(entries, list) and 1 <= len(entries) <= 10
    for entry in entries:
        assert set(entry) == {"Source", "DetailType", "Detail", "EventBusName"}
        assert entry["EventBusName"] == "vehicle-config"
        assert entry["DetailType"] in CATALOG_DETAIL_TYPES
        assert entry["Source"] == SOURCE_OF_DETAIL_TYPE[entry["DetailType"]]
        detail = json.loads(entry["Detail"])
        for field, value in detail.items():
            if isinstance(value, str):
                assert is_client_scalar(value), (field, value)
            if field in CHANNEL_SEGMENT_FIELDS:
                assert is_channel_segment(value), (field, value)
        if entry["DetailType"] == "ValidationRequested":
            parse_validation_requested(detail)


def test_every_catalog_detail_type_has_an_entries_file() -> None:
    types = {json.loads(p.read_text())[0]["DetailType"] for p in ENTRIES_FILES}
    assert types == CATALOG_DETAIL_TYPES


@pytest.fixture
def put_events_endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback endpoint that answers PutEvents like EventBridge and records the requests."""
    received: list[dict[str, Any]] = []

    def put_events(request: BaseHTTPRequestHandler, raw: bytes) -> bytes:
        body = json.loads(raw)
        received.append({"target": request.headers.get("X-Amz-Target"), "body": body})
        entries = [{"EventId": f"00000000-0000-0000-0000-{i:012d}"} for i in range(len(body["Entries"]))]
        return json.dumps({"FailedEntryCount": 0, "Entries": entries}).encode()

    server = ThreadedHttp(put_events, content_type="application/x-amz-json-1.1")
    yield server.url, received
    server.close()


@pytest.mark.slow
def test_entries_files_work_with_aws_cli_put_events(
    put_events_endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = put_events_endpoint
    aws = Path(sys.executable).with_name("aws")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    # one CLI process per file, run side by side: CLI start-up dominates this test
    processes = [
        subprocess.Popen(
            [str(aws), "events", "put-events", "--endpoint-url", url, "--entries", f"file://{path}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in ENTRIES_FILES
    ]
    for process in processes:
        stdout, stderr = process.communicate(timeout=90)
        assert process.returncode == 0, stderr
        assert json.loads(stdout)["FailedEntryCount"] == 0
    assert [r["target"] for r in received] == ["AWSEvents.PutEvents"] * len(ENTRIES_FILES)
    sent = sorted(json.dumps(e, sort_keys=True) for r in received for e in r["body"]["Entries"])
    expected = sorted(json.dumps(e, sort_keys=True) for p in ENTRIES_FILES for e in json.loads(p.read_text()))
    assert sent == expected
