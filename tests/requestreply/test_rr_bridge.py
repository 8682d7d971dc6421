"""`request_reply` over a real AppSync Events server (loopback) and the project's client with IAM auth.

Replies are published over HTTP with SigV4 (requests-aws4auth) from `start_work`, i.e. only after the
bridge's subscription was confirmed, exactly like the worker's reply through the API destination.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from adapters.appsync_replies import AppSyncReplySubscriber, appsync_reply_subscriber
from adapters.request_reply import ReplyChannelUnavailable, ReplyOutcome, request_reply
from requests_aws4auth import AWS4Auth
from vehicle_config.replies import is_validation_reply, reply_channel

from tests.support.appsync_server import api_config
from vcn.appsync.config import AuthProvider, EventApiConfig, Namespace
from vcn.appsync.server import AppSyncEventsServer

ACCESS_KEY = "AKIARRBRIDGETEST0001"
SECRET = "rr-bridge-test-secret"
CONFIGURATION_ID = "cfg-rr-bridge-0001"


def requests_api() -> EventApiConfig:
    """The template's Event API as far as the requests namespace goes: IAM subscribes, IAM publishes."""
    return api_config(
        Namespace("requests", ("AWS_IAM",), ("AWS_IAM",)),
        name="rr-test",
        api_id="rrtestapi",
        auth_providers=(AuthProvider("AWS_IAM"),),
        connection_auth_modes=("AWS_IAM",),
        default_publish_auth_modes=("AWS_IAM",),
        default_subscribe_auth_modes=("AWS_IAM",),
        api_keys=(),  # IAM only: no API key at all
    )


@asynccontextmanager
async def events_server() -> AsyncIterator[AppSyncEventsServer]:
    with tempfile.TemporaryDirectory() as state:
        server = AppSyncEventsServer(
            requests_api(), None, state_dir=Path(state), iam_credentials={ACCESS_KEY: SECRET}
        )
        await server.start()
        try:
            yield server
        finally:
            await server.stop()


def subscriber_for(server: AppSyncEventsServer, monkeypatch: pytest.MonkeyPatch, secret: str = SECRET) -> Any:
    """The deployed factory, pointed at the test server; credentials from the environment, as in Lambda."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return appsync_reply_subscriber(
        server.http_url, server.realtime_url, region="us-east-1", operation_timeout=5
    )


def publish(server: AppSyncEventsServer, channel: str, events: list[Any]) -> None:
    """HTTP publish signed with SigV4 (service appsync), as a backend publisher does."""
    body = {"channel": channel, "events": [json.dumps(e) for e in events]}
    response = requests.post(
        server.http_url,
        data=json.dumps(body),
        headers={"content-type": "application/json"},
        auth=AWS4Auth(ACCESS_KEY, SECRET, "us-east-1", "appsync"),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["failed"] == []


def reply(request_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "type": "ConfigurationValidated",
        "eventId": str(uuid.uuid4()),
        "time": "2026-11-22T23:00:00Z",
        "priority": "HIGH",
        "configurationId": CONFIGURATION_ID,
        "market": "DE",
        "modelLine": "VELA",
        "plant": "WOB",
        "outcome": "VALID",
        "violationCount": 0,
        "warningCount": 0,
        "submittedBy": "analyst-de",
        "requestId": request_id,
        **changes,
    }


async def run_request(
    subscriber: AppSyncReplySubscriber, request_id: str, start_work: Callable[[], object], wait: float
) -> ReplyOutcome:
    return await request_reply(
        subscriber,
        reply_channel(request_id),
        start_work,
        lambda event: is_validation_reply(event, request_id, CONFIGURATION_ID),
        wait,
    )


async def until_no_connections(server: AppSyncEventsServer) -> int:
    """The server's open connection count once it settled (closing is asynchronous on its side)."""
    deadline = time.monotonic() + 5
    while server.connection_count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return server.connection_count


def test_foreign_malformed_and_other_events_are_skipped_until_the_reply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_id = str(uuid.uuid4())
    answer = reply(request_id)
    noise = [
        reply(str(uuid.uuid4())),  # another request's reply on the wrong channel
        reply(request_id, configurationId="cfg-someone-else"),
        reply(request_id, type="SpecAdjustmentRecommended"),
        "not an object",
    ]

    async def scenario() -> tuple[ReplyOutcome, int]:
        async with events_server() as server:
            channel = reply_channel(request_id)
            outcome = await run_request(
                subscriber_for(server, monkeypatch),
                request_id,
                lambda: publish(server, channel, [*noise, answer]),
                10,
            )
            return outcome, await until_no_connections(server)

    outcome, connections = asyncio.run(scenario())
    assert outcome.reply == answer
    assert outcome.ignored == len(noise)
    assert connections == 0  # the subscription's socket is closed once the answer is in


def test_a_duplicate_reply_is_harmless_and_the_first_one_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    request_id = str(uuid.uuid4())
    first, duplicate = reply(request_id), reply(request_id, outcome="INVALID")

    async def scenario() -> ReplyOutcome:
        async with events_server() as server:
            channel = reply_channel(request_id)
            outcome = await run_request(
                subscriber_for(server, monkeypatch),
                request_id,
                lambda: publish(server, channel, [first, duplicate]),
                10,
            )
            assert await until_no_connections(server) == 0
            await asyncio.to_thread(publish, server, channel, [duplicate])  # late: nobody listens any more
            return outcome

    outcome = asyncio.run(scenario())
    assert outcome.reply == first
    assert outcome.ignored == 0


def test_no_reply_within_the_wait_is_an_unanswered_outcome_and_the_socket_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[bool] = []

    async def scenario() -> tuple[ReplyOutcome, int]:
        async with events_server() as server:
            outcome = await run_request(
                subscriber_for(server, monkeypatch), str(uuid.uuid4()), lambda: started.append(True), 0.3
            )
            return outcome, await until_no_connections(server)

    outcome, connections = asyncio.run(scenario())
    assert started == [True]
    assert not outcome.answered
    assert not outcome.channel_lost
    assert connections == 0


def test_a_reply_published_before_the_subscription_never_reaches_the_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_id = str(uuid.uuid4())

    async def scenario() -> ReplyOutcome:
        async with events_server() as server:
            await asyncio.to_thread(publish, server, reply_channel(request_id), [reply(request_id)])
            return await run_request(subscriber_for(server, monkeypatch), request_id, lambda: None, 0.5)

    assert not asyncio.run(scenario()).answered


def test_a_refused_subscription_starts_no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []

    async def scenario() -> None:
        async with events_server() as server:
            subscriber = subscriber_for(server, monkeypatch, secret="not-the-secret")
            await run_request(subscriber, str(uuid.uuid4()), lambda: started.append(True), 5)

    with pytest.raises(ReplyChannelUnavailable, match="UnauthorizedException"):
        asyncio.run(scenario())
    assert started == []


def test_work_that_fails_to_start_propagates_and_closes_the_subscription(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail() -> None:
        raise RuntimeError("PutEvents refused")

    async def scenario() -> int:
        async with events_server() as server:
            with pytest.raises(RuntimeError, match="PutEvents refused"):
                await run_request(subscriber_for(server, monkeypatch), str(uuid.uuid4()), fail, 5)
            return await until_no_connections(server)

    assert asyncio.run(scenario()) == 0


def test_losing_the_service_while_waiting_ends_the_wait_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario() -> ReplyOutcome:
        loop = asyncio.get_running_loop()
        async with events_server() as server:

            def stop_the_service() -> None:
                asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)

            return await run_request(
                subscriber_for(server, monkeypatch), str(uuid.uuid4()), stop_the_service, 20
            )

    outcome = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert not outcome.answered
    assert outcome.channel_lost
