"""The DynamoDB history adapter against moto's server over HTTP, on the table template.yaml defines."""

from __future__ import annotations

import json

import pytest
from adapters.dynamodb_history import DynamoDbHistory, dynamodb_history
from adapters.dynamodb_read_state import DynamoDbReadState
from adapters.history_table import HistoryTable, HistoryUnavailable
from vehicle_config.history.ports import HistoryEntry
from vehicle_config.history.positions import KeyRange, Position, key_range
from vehicle_config.history.selectors import parse_selector

from tests.support.dynamodb import LocalDynamoDb
from tests.support.history import notification

EVERYTHING = key_range(None, since_micros=0, through_micros=10**15)


def entry(channel: str, micros: int, event_id: str) -> HistoryEntry:
    payload = {"eventId": event_id, "channel-of-test": channel}
    return HistoryEntry(channel, Position(micros, event_id), json.dumps(payload), expires_at=2_000_000_000)


def channels_of(store: DynamoDbHistory, pattern: str, keys: KeyRange = EVERYTHING, limit: int = 100) -> list:
    return [
        (n.channel, n.position.event_id) for n in store.read(parse_selector("channel", pattern), keys, limit)
    ]


def test_a_second_delivery_of_an_event_to_a_channel_is_not_recorded_again(
    history_store: DynamoDbHistory,
) -> None:
    assert history_store.record(entry("/markets/DE/VELA", 100, "e-1")) is True
    assert history_store.record(entry("/markets/DE/VELA", 250, "e-1")) is False  # replayed later
    assert history_store.record(entry("/users/analyst-de", 260, "e-1")) is True  # same event, other channel
    assert channels_of(history_store, "/markets/DE/VELA") == [("/markets/DE/VELA", "e-1")]
    assert channels_of(history_store, "/users/analyst-de") == [("/users/analyst-de", "e-1")]


def test_an_exact_channel_reads_in_position_order_with_ties_broken_by_event_id(
    history_store: DynamoDbHistory,
) -> None:
    for micros, event_id in [(300, "c"), (100, "b"), (200, "z"), (200, "a")]:
        history_store.record(entry("/plants/WOB", micros, event_id))
    history_store.record(entry("/plants/ZWI", 150, "other-plant"))
    assert [e for _, e in channels_of(history_store, "/plants/WOB")] == ["b", "a", "z", "c"]


def test_a_trailing_wildcard_reads_every_channel_below_the_prefix_and_nothing_else(
    history_store: DynamoDbHistory,
) -> None:
    history_store.record(entry("/markets/DE/VELA", 10, "de-vela"))
    history_store.record(entry("/markets/DE/NOVA", 20, "de-nova"))
    history_store.record(
        entry("/markets/DEX/VELA", 30, "dex-vela")
    )  # shares the text prefix, not the segment
    history_store.record(entry("/markets/FR/VELA", 40, "fr-vela"))
    history_store.record(entry("/markets/DE/VELA/a/b", 50, "deep"))  # five segments: any depth matches
    assert channels_of(history_store, "/markets/DE/*") == [
        ("/markets/DE/VELA", "de-vela"),
        ("/markets/DE/NOVA", "de-nova"),
        ("/markets/DE/VELA/a/b", "deep"),
    ]
    assert [e for _, e in channels_of(history_store, "/markets/*")] == [
        "de-vela", "de-nova", "dex-vela", "fr-vela", "deep",
    ]  # fmt: skip
    assert [e for _, e in channels_of(history_store, "/markets/DE/VELA/a/*")] == ["deep"]


def test_reads_keep_to_the_key_range_and_the_limit(history_store: DynamoDbHistory) -> None:
    for micros in range(1, 11):
        history_store.record(entry("/users/analyst-de", micros * 100, f"e-{micros}"))
    after_third = key_range(Position(300, "e-3"), since_micros=0, through_micros=800)
    assert [e for _, e in channels_of(history_store, "/users/analyst-de", after_third)] == [
        "e-4", "e-5", "e-6", "e-7", "e-8",
    ]  # fmt: skip
    assert [e for _, e in channels_of(history_store, "/users/analyst-de", after_third, limit=2)] == [
        "e-4",
        "e-5",
    ]
    selector = parse_selector("channel", "/users/*")
    assert [
        p.event_id for p in history_store.positions(selector, after_third.after(Position(700, "e-7")), 9)
    ] == ["e-8"]


def test_reads_follow_dynamodb_pages_past_one_megabyte(history_store: DynamoDbHistory) -> None:
    big = "x" * 200_000  # five of these exceed one 1 MB Query page
    for n in range(8):
        history_store.record(
            HistoryEntry("/plants/WOB", Position(n + 1, f"e-{n}"), json.dumps({"pad": big}), 2_000_000_000)
        )
    found = history_store.read(parse_selector("channel", "/plants/*"), EVERYTHING, 8)
    assert [n.position.event_id for n in found] == [f"e-{n}" for n in range(8)]


def test_the_read_position_only_moves_forward(read_state_store: DynamoDbReadState) -> None:
    assert read_state_store.read_up_to("analyst-de") is None
    assert read_state_store.advance_read_up_to("analyst-de", Position(500, "b"), 2_000_000_000) == Position(
        500, "b"
    )
    assert read_state_store.advance_read_up_to("analyst-de", Position(400, "z"), 2_000_000_000) == Position(
        500, "b"
    )
    assert read_state_store.advance_read_up_to("analyst-de", Position(500, "c"), 2_000_000_000) == Position(
        500, "c"
    )
    assert read_state_store.read_up_to("analyst-de") == Position(500, "c")
    assert read_state_store.read_up_to("analyst-fr") is None


def test_read_marks_are_per_user_and_cover_more_than_one_batch(read_state_store: DynamoDbReadState) -> None:
    marked = [f"e-{n}" for n in range(130)]  # more than a BatchWriteItem (25) and a BatchGetItem (100)
    read_state_store.mark_read("analyst-de", marked, 2_000_000_000)
    asked = [*marked[::2], "never-marked"]
    assert read_state_store.read_among("analyst-de", asked) == frozenset(marked[::2])
    assert read_state_store.read_among("analyst-fr", asked) == frozenset()


def test_the_deployed_store_reaches_dynamodb_through_aws_endpoint_url_dynamodb(
    dynamodb: LocalDynamoDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = dynamodb.new_history_table()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    store = dynamodb_history(table)
    payload = notification()
    store.record(
        HistoryEntry("/markets/DE/VELA", Position(1, payload["eventId"]), json.dumps(payload), 2**31)
    )
    found = DynamoDbHistory(HistoryTable(table, dynamodb.client())).read(
        parse_selector("c", "/markets/DE/VELA"), EVERYTHING, 5
    )
    assert [json.loads(n.notification) for n in found] == [payload]


def test_a_missing_table_is_reported_as_history_unavailable(dynamodb: LocalDynamoDb) -> None:
    store = DynamoDbHistory(HistoryTable("no-such-table", dynamodb.client()))
    with pytest.raises(HistoryUnavailable, match="no-such-table"):
        store.read(parse_selector("channel", "/plants/WOB"), EVERYTHING, 5)
    with pytest.raises(HistoryUnavailable, match="/plants/WOB"):
        store.record(entry("/plants/WOB", 1, "e-1"))
