"""AppSync's API-key control plane on the local AppSync port, through boto3's `appsync` client found with
AWS_ENDPOINT_URL_APPSYNC: lifetimes within 1..365 days rounded down to the hour, AWS's error types,
persistence across restarts, and what an expired key does to publishes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.appsync_server import API_KEY, api_config
from tests.support.eventbridge import LoopThread
from vcn.appsync.api_keys import ApiKeyStore
from vcn.appsync.config import ApiKey
from vcn.appsync.server import AppSyncEventsServer

DAY = 86400
API_ID = "testapi123"


class Running:
    """An AppSync server on a loop thread, on one state folder, that a test can restart."""

    def __init__(self, state_dir: Path, key_expires: int | None) -> None:
        self.state_dir = state_dir
        self.loop = LoopThread()
        self.key_expires = key_expires
        self.server: AppSyncEventsServer | None = None

    def start(self) -> AppSyncEventsServer:
        config = api_config(api_keys=(ApiKey("Key", API_KEY, self.key_expires, "for tests"),))
        self.server = AppSyncEventsServer(config, None, state_dir=self.state_dir)
        self.loop.run(self.server.start())
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.loop.run(self.server.stop())
            self.server = None

    def client(self) -> Any:
        assert self.server is not None and self.server.port is not None
        previous = os.environ.get("AWS_ENDPOINT_URL_APPSYNC")
        os.environ["AWS_ENDPOINT_URL_APPSYNC"] = f"http://127.0.0.1:{self.server.port}"
        try:
            session = boto3.session.Session(
                aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
            )
            return session.client("appsync", config=Config(retries={"max_attempts": 1}))
        finally:
            if previous is None:
                os.environ.pop("AWS_ENDPOINT_URL_APPSYNC")
            else:
                os.environ["AWS_ENDPOINT_URL_APPSYNC"] = previous

    def publish(self) -> int:
        assert self.server is not None
        reply = requests.post(
            self.server.http_url,
            json={"channel": "/default/keys", "events": ['{"n": 1}']},
            headers={"x-api-key": API_KEY},
            timeout=10,
        )
        return reply.status_code


@pytest.fixture
def appsync(tmp_path: Path) -> Iterator[Running]:
    running = Running(tmp_path / "state", key_expires=None)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        running.loop.close()


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_a_key_declared_without_expires_lives_aws_default_seven_days(appsync: Running) -> None:
    (key,) = appsync.client().list_api_keys(apiId=API_ID)["apiKeys"]
    assert key["id"] == API_KEY and key["description"] == "for tests"
    now = time.time()
    assert now + 7 * DAY - 3600 <= key["expires"] <= now + 7 * DAY and key["expires"] % 3600 == 0
    assert key["deletes"] == key["expires"] + 60 * DAY


def test_update_extends_the_key_rounded_down_to_the_hour(appsync: Running) -> None:
    wanted = int(time.time()) + 300 * DAY + 1234
    key = appsync.client().update_api_key(apiId=API_ID, id=API_KEY, expires=wanted)["apiKey"]
    assert key["expires"] == wanted // 3600 * 3600
    assert key["description"] == "for tests"  # an update without description keeps it


@pytest.mark.parametrize(
    ("ahead", "message"),
    [
        (12 * 3600, "API key must be valid for a minimum of 1 days."),
        (-DAY, "API key must be valid for a minimum of 1 days."),
        (366 * DAY, "API key must be valid for a maximum of 365 days."),
    ],
)
def test_an_expiry_outside_one_to_365_days_is_refused(appsync: Running, ahead: int, message: str) -> None:
    expires = int(time.time()) + ahead
    assert error_of(appsync.client().update_api_key, apiId=API_ID, id=API_KEY, expires=expires) == (
        "ApiKeyValidityOutOfBoundsException",
        message,
        400,
    )
    assert error_of(appsync.client().create_api_key, apiId=API_ID, expires=expires)[0] == (
        "ApiKeyValidityOutOfBoundsException"
    )


def test_the_longest_lifetime_is_accepted(appsync: Running) -> None:
    expires = int(time.time()) + 365 * DAY - 60
    key = appsync.client().update_api_key(apiId=API_ID, id=API_KEY, expires=expires)["apiKey"]
    assert key["expires"] == expires // 3600 * 3600


def test_unknown_keys_and_apis_are_not_found(appsync: Running) -> None:
    client = appsync.client()
    expires = int(time.time()) + 30 * DAY
    code, message, status = error_of(client.update_api_key, apiId=API_ID, id="da2-nosuchkey", expires=expires)
    assert (code, status) == ("NotFoundException", 404) and "da2-nosuchkey" not in message
    assert error_of(client.list_api_keys, apiId="otherapi")[:1] == ("NotFoundException",)
    assert error_of(client.delete_api_key, apiId=API_ID, id="da2-nosuchkey")[0] == "NotFoundException"


def test_create_list_and_delete_keys_page_by_page(appsync: Running) -> None:
    client = appsync.client()
    created = [client.create_api_key(apiId=API_ID, description=f"k{i}")["apiKey"] for i in range(3)]
    assert all(key["id"].startswith("da2-") and key["id"] != API_KEY for key in created)
    pages = list(
        client.get_paginator("list_api_keys").paginate(apiId=API_ID, PaginationConfig={"PageSize": 2})
    )
    assert [len(page["apiKeys"]) for page in pages] == [2, 2]
    assert {key["id"] for page in pages for key in page["apiKeys"]} == {API_KEY, *(k["id"] for k in created)}
    client.delete_api_key(apiId=API_ID, id=created[0]["id"])
    listed = {key["id"] for key in client.list_api_keys(apiId=API_ID)["apiKeys"]}
    assert created[0]["id"] not in listed and len(listed) == 3


def test_an_extended_expiry_survives_a_restart_while_the_declaration_is_unchanged(appsync: Running) -> None:
    wanted = int(time.time()) + 200 * DAY
    appsync.client().update_api_key(apiId=API_ID, id=API_KEY, expires=wanted)
    appsync.stop()
    appsync.start()
    (key,) = appsync.client().list_api_keys(apiId=API_ID)["apiKeys"]
    assert key["expires"] == wanted // 3600 * 3600
    stored = json.loads((appsync.state_dir / "appsync" / API_ID / "api-keys.json").read_text())
    assert stored["keys"][0]["expires"] == key["expires"]


def test_a_changed_declaration_is_applied_on_start(appsync: Running) -> None:
    appsync.client().update_api_key(apiId=API_ID, id=API_KEY, expires=int(time.time()) + 200 * DAY)
    appsync.stop()
    appsync.key_expires = int(time.time()) + 10 * DAY  # a "deploy" with a new Expires
    appsync.start()
    (key,) = appsync.client().list_api_keys(apiId=API_ID)["apiKeys"]
    assert key["expires"] == appsync.key_expires


def test_an_expired_key_is_refused_until_it_is_extended(appsync: Running) -> None:
    assert appsync.publish() == 200
    appsync.stop()
    # As if the last extension had been 30 days ago, for 29 days: the key expired a day ago (AppSync keeps
    # it 60 more days before deleting it).
    month_ago = time.time() - 30 * DAY
    past = ApiKeyStore(
        API_ID, appsync.state_dir / "appsync" / API_ID / "api-keys.json", clock=lambda: month_ago
    )
    past.update(API_KEY, None, int(month_ago) + 29 * DAY)
    appsync.start()
    assert appsync.publish() == 401
    (listed,) = appsync.client().list_api_keys(apiId=API_ID)["apiKeys"]  # still listed while not deleted
    assert listed["expires"] < time.time()
    appsync.client().update_api_key(apiId=API_ID, id=API_KEY, expires=int(time.time()) + 30 * DAY)
    assert appsync.publish() == 200
