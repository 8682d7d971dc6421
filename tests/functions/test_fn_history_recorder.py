"""The history recorder through its real handler: AppSync DIRECT publish requests in, moto DynamoDB behind."""

from __future__ import annotations

import json

import pytest
from adapters.dynamodb_history import DynamoDbHistory
from adapters.history_table import HistoryTable, HistoryUnavailable
from handlers import history_recorder
from vehicle_config.history.positions import key_range
from vehicle_config.history.recording import UnrecordableNotifications
from vehicle_config.history.selectors import parse_selector

from tests.support.dynamodb import LocalDynamoDb
from tests.support.history import notification, publish_request
from tests.support.lambda_functions import FakeLambdaContext

EVERYTHING = key_range(None, since_micros=0, through_micros=10**16 - 1)


@pytest.fixture
def recorder(history_store: DynamoDbHistory, monkeypatch: pytest.MonkeyPatch) -> DynamoDbHistory:
    monkeypatch.setattr(history_recorder, "history", lambda: history_store)
    return history_store


def recorded(store: DynamoDbHistory, pattern: str) -> list[tuple[str, dict]]:
    found = store.read(parse_selector("channel", pattern), EVERYTHING, 100)
    return [(n.channel, json.loads(n.notification)) for n in found]


@pytest.mark.parametrize("channel", ["/markets/DE/VELA", "/users/analyst-de", "/plants/WOB"])
def test_every_event_of_a_publish_is_recorded_as_delivered_and_broadcast_unchanged(
    recorder: DynamoDbHistory, lambda_context: FakeLambdaContext, channel: str
) -> None:
    payloads = [notification(), notification(model_line="NOVA")]
    request = publish_request(channel, payloads)
    reply = history_recorder.handler(request, lambda_context)
    assert reply == {"events": request["events"]}  # what REQUEST_RESPONSE would broadcast: the events as is
    assert recorded(recorder, channel) == [(channel, p) for p in payloads]


def test_the_record_keeps_the_notifications_field_order_and_types(
    recorder: DynamoDbHistory, lambda_context: FakeLambdaContext
) -> None:
    payload = notification()
    history_recorder.handler(publish_request("/markets/DE/VELA", [payload]), lambda_context)
    stored = recorder.read(parse_selector("channel", "/markets/DE/VELA"), EVERYTHING, 1)[0].notification
    assert list(json.loads(stored).items()) == list(payload.items())
    assert isinstance(json.loads(stored)["warningCount"], int)


def test_a_replayed_publish_is_recorded_once(
    recorder: DynamoDbHistory, lambda_context: FakeLambdaContext
) -> None:
    payload = notification()
    history_recorder.handler(publish_request("/markets/DE/VELA", [payload]), lambda_context)
    # EventBridge retried the API destination: AppSync sees a new publish (new ids) of the same notification
    history_recorder.handler(publish_request("/markets/DE/VELA", [payload, payload]), lambda_context)
    assert recorded(recorder, "/markets/DE/VELA") == [("/markets/DE/VELA", payload)]


def test_the_same_event_on_its_market_and_user_channels_is_recorded_on_both(
    recorder: DynamoDbHistory, lambda_context: FakeLambdaContext
) -> None:
    payload = notification()
    history_recorder.handler(publish_request("/markets/DE/VELA", [payload]), lambda_context)
    history_recorder.handler(publish_request("/users/analyst-de", [payload]), lambda_context)
    assert recorded(recorder, "/markets/DE/VELA") == [("/markets/DE/VELA", payload)]
    assert recorded(recorder, "/users/analyst-de") == [("/users/analyst-de", payload)]


def test_events_without_an_event_id_fail_the_invocation_after_the_others_are_recorded(
    recorder: DynamoDbHistory, lambda_context: FakeLambdaContext
) -> None:
    good = notification()
    request = publish_request(
        "/plants/WOB", [good, {"type": "Oops"}, "just a string", {"eventId": "has space"}]
    )
    with pytest.raises(UnrecordableNotifications, match="3 events on /plants/WOB not recorded") as failure:
        history_recorder.handler(request, lambda_context)
    ids = [e["id"] for e in request["events"][1:]]
    assert [u.event_id for u in failure.value.outcome.unrecordable] == ids
    assert recorded(recorder, "/plants/WOB") == [("/plants/WOB", good)]


def test_a_namespace_that_is_not_recorded_fails_loudly(
    recorder: DynamoDbHistory, lambda_context: FakeLambdaContext
) -> None:
    with pytest.raises(UnrecordableNotifications, match="namespace 'requests' is not recorded"):
        history_recorder.handler(publish_request("/requests/req-1", [notification()]), lambda_context)


def test_a_store_failure_raises_so_lambda_retries_and_then_uses_the_on_failure_destination(
    dynamodb: LocalDynamoDb, monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    missing = DynamoDbHistory(HistoryTable("no-such-table", dynamodb.client()))
    monkeypatch.setattr(history_recorder, "history", lambda: missing)
    with pytest.raises(HistoryUnavailable, match="no-such-table"):
        history_recorder.handler(publish_request("/markets/DE/VELA", [notification()]), lambda_context)
    # the next invocation starts clean: a failure is never carried over to it
    monkeypatch.setattr(
        history_recorder,
        "history",
        lambda: DynamoDbHistory(HistoryTable(dynamodb.new_history_table(), dynamodb.client())),
    )
    history_recorder.handler(publish_request("/markets/DE/VELA", [notification()]), lambda_context)
