"""The /validations route of the configuration API with in-memory ports: order of subscribe and emit, errors.

An in-memory `ReplySubscriber` records when it was subscribed and answers with what the "worker" (the
in-memory publisher's hook) publishes, so the ordering guarantee is checked without timing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from adapters.request_reply import ReplyChannelUnavailable
from handlers import configuration_api
from vehicle_config.events import DomainEvent
from vehicle_config.ports import PublishReceipt

from tests.support.fakes import hand_out
from tests.support.request_reply import configuration


@dataclass
class Context:
    remaining_ms: int = 30_000
    function_name: str = "ConfigurationApiFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:ConfigurationApiFunction"
    aws_request_id: str = "rr-handler-test"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class InMemoryReplies:
    def __init__(self, queue: asyncio.Queue[Any]) -> None:
        self._queue = queue

    async def get(self, timeout: float) -> Any:
        return await asyncio.wait_for(self._queue.get(), timeout)


@dataclass
class Bus:
    """Subscriber and publisher in one: publishing ValidationRequested 'runs the worker' if asked to."""

    answer: bool = True
    refuse: bool = False
    subscribe_seconds: float = 0.0  # how long the subscription takes to be confirmed
    log: list[str] = field(default_factory=list)
    published: list[DomainEvent] = field(default_factory=list)
    _channels: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]] = field(default_factory=dict)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[InMemoryReplies]:
        if self.refuse:
            raise ReplyChannelUnavailable("refused")
        try:
            await asyncio.sleep(self.subscribe_seconds)
        except asyncio.CancelledError:
            self.log.append(f"abandon {channel}")
            raise
        self.log.append(f"subscribe {channel}")
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._channels[channel] = (asyncio.get_running_loop(), queue)
        try:
            yield InMemoryReplies(queue)
        finally:
            self.log.append(f"close {channel}")
            del self._channels[channel]

    def publish(self, events: Sequence[DomainEvent]) -> PublishReceipt:
        for event in events:
            self.published.append(event)
            request_id = event.detail["requestId"]
            self.log.append(f"emit {event.detail_type} {request_id}")
            channel = f"/requests/{request_id}"
            if self.answer and channel in self._channels:
                loop, queue = self._channels[channel]
                detail = event.detail
                notification = {
                    "type": "ConfigurationValidated",
                    "eventId": "evt-1",
                    "configurationId": detail["configurationId"],
                    "outcome": "VALID",
                    "requestId": request_id,
                }
                loop.call_soon_threadsafe(queue.put_nowait, notification)
        return PublishReceipt(tuple("id" for _ in events))


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Bus:
    return hand_out(
        monkeypatch, Bus(), (configuration_api, "event_publisher"), (configuration_api, "reply_subscriber")
    )


def call(
    body: Any, query: str = "", *, subject: str | None = "analyst-de", markets: str = "[DE]"
) -> tuple[int, dict[str, Any]]:
    # API Gateway renders the token's list claim ["DE"] as the string "[DE]"
    claims = {"sub": subject, "markets": markets} if subject else {}
    event = {
        "version": "2.0",
        "routeKey": "POST /validations",
        "rawPath": "/validations",
        "rawQueryString": query,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": "POST", "path": "/validations", "sourceIp": "127.0.0.1"},
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
            "requestId": "rr",
            "routeKey": "POST /validations",
            "stage": "$default",
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(part.split("=", 1) for part in query.split("&"))
    response = configuration_api.handler(event, Context())
    return response["statusCode"], json.loads(response["body"])


def test_subscribes_before_emitting_and_closes_after_the_answer(bus: Bus) -> None:
    status, body = call(configuration("cfg-rr-order"), "wait=5")
    assert status == 200, body
    request_id = body["requestId"]
    assert bus.log == [
        f"subscribe /requests/{request_id}",
        f"emit ValidationRequested {request_id}",
        f"close /requests/{request_id}",
    ]
    (requested,) = bus.published
    assert requested.detail["submittedBy"] == "analyst-de"
    assert requested.detail["batchId"] == request_id
    assert body["result"]["configurationId"] == "cfg-rr-order"


def test_no_answer_is_202_with_the_channel(bus: Bus) -> None:
    bus.answer = False
    status, body = call(configuration("cfg-rr-quiet"), "wait=0.2")
    assert status == 202, body
    assert body["channel"] == f"/requests/{body['requestId']}"
    assert bus.log[-1] == f"close {body['channel']}"


@pytest.mark.parametrize("wait", ["0", "-1", "25.5", "nan", "ten", "inf"])
def test_a_wait_out_of_range_is_a_400_naming_wait_and_nothing_happens(bus: Bus, wait: str) -> None:
    status, body = call(configuration("cfg-rr-wait"), f"wait={wait}")
    assert status == 400, body
    assert body["errors"] == [
        {"field": "wait", "message": f"must be a number of seconds from 0.1 to 25, got {wait!r}"}
    ]
    assert bus.log == []


@pytest.mark.parametrize("wait", ["0.001", "0.099", "1e-9"])
def test_a_wait_no_reply_can_meet_is_a_400_stating_the_minimum(bus: Bus, wait: str) -> None:
    status, body = call(configuration("cfg-rr-wait"), f"wait={wait}")
    assert status == 400, body
    assert body["message"] == "Invalid request: fix wait"
    assert body["errors"] == [
        {
            "field": "wait",
            "message": f"must be a number of seconds from 0.1 to 25, got {wait!r}: no reply can arrive in "
            "under 0.1 s. Not to wait at all, POST /configurations/batches with a requestId and subscribe "
            "to /requests/<requestId>",
        }
    ]
    assert bus.log == []


def test_the_minimum_wait_is_accepted(bus: Bus) -> None:
    status, body = call(configuration("cfg-rr-min-wait"), "wait=0.1")
    assert status == 200, body


def test_a_subscription_slower_than_the_wait_still_starts_the_work_and_answers_202(bus: Bus) -> None:
    bus.subscribe_seconds = 1.0
    status, body = call(configuration("cfg-rr-slow-channel"), "wait=0.1")
    assert status == 202, body
    channel = body["channel"]
    assert bus.log == [f"abandon {channel}", f"emit ValidationRequested {body['requestId']}"]
    assert channel in body["message"]


def test_a_bad_configuration_is_a_400_and_nothing_happens(bus: Bus) -> None:
    status, body = call({"configurationId": "cfg-rr-broken", "market": "DE"})
    assert status == 400, body
    assert {"modelLine", "plant", "trim", "powertrain"} <= {e["field"] for e in body["errors"]}
    assert bus.log == []


def test_without_a_token_subject_it_is_401_and_nothing_happens(bus: Bus) -> None:
    status, _ = call(configuration("cfg-rr-anon"), subject=None)
    assert status == 401
    assert bus.log == []


def test_an_unavailable_reply_channel_is_a_503_and_nothing_is_emitted(bus: Bus) -> None:
    bus.refuse = True
    status, body = call(configuration("cfg-rr-refused"))
    assert status == 503, body
    assert "retry" in body["message"]
    assert bus.published == []


def test_a_configuration_for_a_market_not_granted_is_a_403_and_nothing_happens(bus: Bus) -> None:
    status, body = call(configuration("cfg-rr-us", market="US"), "wait=5", markets="[DE FR]")
    assert status == 403, body
    assert body == {
        "message": "Not granted market US: the token of analyst-de grants DE, FR only. Submit "
        "configurations only for your markets, or ask for access to US",
        "markets": ["US"],
        "granted": ["DE", "FR"],
    }
    assert bus.log == [], "no subscription, no event"
