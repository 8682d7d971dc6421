"""The history API through its real handler: HTTP API requests in, DynamoDB (moto) behind.

Notifications get into the history the way they do in production, through the recorder's handler; a test
clock stands in for time so that settling and retention can be stepped over.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from adapters.dynamodb_history import DynamoDbHistory
from adapters.dynamodb_read_state import DynamoDbReadState
from adapters.history_table import HistoryTable
from handlers import history_api, history_recorder
from vehicle_config.history.positions import MICROS_PER_SECOND, Position
from vehicle_config.history.reading import SETTLE_MICROS

from tests.support.dynamodb import LocalDynamoDb
from tests.support.history import ANALYST_DE_CLAIMS, http_request, notification, publish_request
from tests.support.lambda_functions import FakeLambdaContext

START = 1_795_000_000 * MICROS_PER_SECOND
EVERYTHING_CLAIMS = {"sub": "global-lead", "markets": "[*]", "plants": "[*]"}


@dataclass
class History:
    """The recorder and the API on one table, with a clock the test moves."""

    store: DynamoDbHistory
    context: FakeLambdaContext
    now: int = START
    ticks: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def publish(self, channel: str, *payloads: dict[str, Any]) -> None:
        history_recorder.handler(publish_request(channel, list(payloads)), self.context)

    def settle(self) -> None:
        self.now += SETTLE_MICROS

    def call(self, method: str, path: str, query: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = history_api.handler(http_request(method, path, query, **kwargs), self.context)
        return response["statusCode"], json.loads(response["body"])

    def page(self, **query: str) -> Any:
        return self.call("GET", "/notifications", query)

    def unread(self, channel: str, claims: dict[str, Any] = ANALYST_DE_CLAIMS) -> Any:
        return self.call("GET", "/notifications/unread-count", {"channel": channel}, claims=claims)

    def mark(self, body: Any, claims: dict[str, Any] = ANALYST_DE_CLAIMS) -> Any:
        return self.call("POST", "/notifications/read", body=body, claims=claims)


@pytest.fixture
def history(
    history_store: DynamoDbHistory,
    read_state_store: DynamoDbReadState,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: FakeLambdaContext,
) -> History:
    state = History(history_store, lambda_context)

    def recorder_clock() -> int:
        state.now += next(state.ticks) % 7 + 1  # distinct, increasing positions, a few microseconds apart
        return state.now

    monkeypatch.setattr(history_recorder, "history", lambda: history_store)
    monkeypatch.setattr(history_recorder, "now_micros", recorder_clock)
    monkeypatch.setattr(history_api, "history", lambda: history_store)
    monkeypatch.setattr(history_api, "read_state", lambda: read_state_store)
    monkeypatch.setattr(history_api, "now_micros", lambda: state.now)
    return state


def test_a_page_holds_each_notification_as_delivered_plus_channel_and_cursor(history: History) -> None:
    payload = notification()
    history.publish("/markets/DE/VELA", payload)
    history.settle()
    status, body = history.page(channel="/markets/DE/VELA")
    assert status == 200
    (item,) = body["items"]
    assert list(item)[: len(payload)] == list(payload)  # every delivered field, in delivered order
    assert {k: v for k, v in item.items() if k not in ("channel", "cursor")} == payload
    assert item["channel"] == "/markets/DE/VELA"
    assert isinstance(item["cursor"], str) and body["nextCursor"] is None


def test_twelve_notifications_page_by_five_on_the_users_channel_and_on_the_market_pattern(
    history: History,
) -> None:
    sent = [notification(model_line=("VELA", "NOVA")[n % 2]) for n in range(12)]
    for payload in sent:
        history.publish(f"/markets/DE/{payload['modelLine']}", payload)
        history.publish("/users/analyst-de", payload)
    history.publish("/markets/FR/VELA", notification("FR"))  # granted, but not under /markets/DE
    history.settle()
    for channel in ("/users/analyst-de", "/markets/DE/*"):
        received: list[dict[str, Any]] = []
        pages: list[int] = []
        query = {"channel": channel, "limit": "5"}
        while True:
            status, body = history.page(**query)
            assert status == 200, body
            received += body["items"]
            pages.append(len(body["items"]))
            if body["nextCursor"] is None:
                break
            assert body["nextCursor"] == body["items"][-1]["cursor"]
            query["after"] = body["nextCursor"]
        assert pages == [5, 5, 2], channel
        assert [item["eventId"] for item in received] == [p["eventId"] for p in sent], channel


def test_a_page_starts_strictly_after_the_cursor_given(history: History) -> None:
    sent = [notification() for _ in range(4)]
    history.publish("/plants/WOB", *sent)
    history.settle()
    _, first = history.page(channel="/plants/WOB")
    second_cursor = first["items"][1]["cursor"]
    _, rest = history.page(channel="/plants/WOB", after=second_cursor)
    assert [i["eventId"] for i in rest["items"]] == [p["eventId"] for p in sent[2:]]
    # cursors are positions, valid on any channel or pattern: a client may keep one for everything
    _, wide = history.call(
        "GET", "/notifications", {"channel": "/plants/*", "after": second_cursor}, claims=EVERYTHING_CLAIMS
    )
    assert [i["eventId"] for i in wide["items"]] == [p["eventId"] for p in sent[2:]]


def test_since_seconds_starts_the_read_that_long_before_the_services_clock(history: History) -> None:
    early, late = notification(), notification()
    history.publish("/plants/WOB", early)
    history.now += 600 * MICROS_PER_SECOND
    history.publish("/plants/WOB", late)
    history.settle()
    ids = lambda body: [item["eventId"] for item in body["items"]]  # noqa: E731
    assert ids(history.page(channel="/plants/WOB", sinceSeconds="300")[1]) == [late["eventId"]]
    everything = history.page(channel="/plants/WOB", sinceSeconds="900")[1]
    assert ids(everything) == [early["eventId"], late["eventId"]]
    # with a cursor too, the later of the two bounds wins
    after_early = everything["items"][0]["cursor"]
    assert ids(history.page(channel="/plants/WOB", sinceSeconds="900", after=after_early)[1]) == [
        late["eventId"]
    ]
    assert ids(history.page(channel="/plants/WOB", sinceSeconds="1", after=after_early)[1]) == []


def test_notifications_appear_only_once_settled(history: History) -> None:
    history.publish("/plants/WOB", notification())
    assert history.page(channel="/plants/WOB")[1] == {"items": [], "nextCursor": None}
    history.settle()
    assert len(history.page(channel="/plants/WOB")[1]["items"]) == 1


def test_notifications_past_the_retention_are_not_served_even_before_the_store_deletes_them(
    history: History,
) -> None:
    history.publish("/plants/WOB", notification())
    history.now += history_api.settings.retention_days * 86_400 * MICROS_PER_SECOND
    assert len(history.page(channel="/plants/WOB")[1]["items"]) == 1  # exactly the retention: still kept
    history.now += 1
    assert history.page(channel="/plants/WOB")[1]["items"] == []


@pytest.mark.parametrize(
    ("channel", "claims"),
    [
        ("/markets/US/VELA", ANALYST_DE_CLAIMS),
        ("/markets/*", ANALYST_DE_CLAIMS),
        ("/users/analyst-us", ANALYST_DE_CLAIMS),
        ("/users/*", EVERYTHING_CLAIMS),
        ("/plants/CHA", ANALYST_DE_CLAIMS),
        ("/requests/req-1", EVERYTHING_CLAIMS),
        ("/markets", EVERYTHING_CLAIMS),
    ],
)
def test_a_channel_the_caller_may_not_subscribe_to_is_403_naming_it(
    history: History, channel: str, claims: dict[str, Any]
) -> None:
    for status, body in (
        history.call("GET", "/notifications", {"channel": channel}, claims=claims),
        history.unread(channel, claims),
    ):
        assert status == 403
        assert body == {
            "message": f"You may not read {channel}: your token does not grant it",
            "channel": channel,
        }


@pytest.mark.parametrize(
    ("channel", "claims"),
    [
        ("/markets/DE/*", ANALYST_DE_CLAIMS),
        ("/markets/FR/NOVA", ANALYST_DE_CLAIMS),
        ("/users/analyst-de", ANALYST_DE_CLAIMS),
        ("/plants/ZWI", ANALYST_DE_CLAIMS),
        ("/markets/*", EVERYTHING_CLAIMS),
        ("/plants/*", EVERYTHING_CLAIMS),
        ("markets/DE/VELA", ANALYST_DE_CLAIMS),  # the leading slash is optional, as for subscriptions
    ],
)
def test_a_channel_the_caller_may_subscribe_to_is_readable(
    history: History, channel: str, claims: dict[str, Any]
) -> None:
    assert history.call("GET", "/notifications", {"channel": channel}, claims=claims)[0] == 200


@pytest.mark.parametrize("path", ["/notifications", "/notifications/unread-count"])
@pytest.mark.parametrize("claims", [None, {}, {"markets": "[DE]"}, {"sub": "not a segment!"}])
def test_no_usable_token_is_401(history: History, path: str, claims: dict[str, Any] | None) -> None:
    status, body = history.call("GET", path, {"channel": "/markets/DE/VELA"}, claims=claims)
    assert status == 401 and "token" in body["message"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({}, ["channel"]),
        ({"channel": "/markets/*/VELA"}, ["channel"]),
        ({"channel": "/markets/DE/VELA/a/b/c"}, ["channel"]),
        ({"channel": "/*"}, ["channel"]),
        ({"channel": "/markets/DE/VELA", "after": "not-a-cursor"}, ["after"]),
        ({"channel": "/markets/DE/VELA", "after": ""}, ["after"]),
        ({"channel": "/markets/DE/VELA", "limit": "0"}, ["limit"]),
        ({"channel": "/markets/DE/VELA", "limit": "101"}, ["limit"]),
        ({"channel": "/markets/DE/VELA", "limit": "ten"}, ["limit"]),
        ({"channel": "/markets/DE/VELA", "limit": "1.5"}, ["limit"]),
        ({"channel": "/markets/DE/VELA", "limit": "-3"}, ["limit"]),
        ({"channel": "/markets/DE/VELA", "sinceSeconds": "0"}, ["sinceSeconds"]),
        ({"channel": "/markets/DE/VELA", "sinceSeconds": "10m"}, ["sinceSeconds"]),
        ({"channel": "/markets/DE/VELA", "sinceSeconds": "1000000000"}, ["sinceSeconds"]),
        ({"channel": "bad channel", "after": "x", "limit": "500"}, ["channel", "after", "limit"]),
    ],
)
def test_a_bad_parameter_is_400_naming_it(history: History, query: dict[str, str], fields: list[str]) -> None:
    status, body = history.page(**query)
    assert status == 400
    assert [error["field"] for error in body["errors"]] == fields
    assert body["message"] == f"Invalid request: fix {', '.join(fields)}"


def test_a_tampered_cursor_is_400_naming_after(history: History) -> None:
    history.publish("/plants/WOB", notification())
    history.settle()
    cursor = history.page(channel="/plants/WOB")[1]["items"][0]["cursor"]
    for tampered in (cursor[:-3], cursor + "AAAA", cursor.replace(cursor[2], "%")):
        status, body = history.page(channel="/plants/WOB", after=tampered)
        assert status == 400 and body["errors"][0]["field"] == "after", tampered


def test_a_limit_of_one_hundred_is_the_largest_page(history: History) -> None:
    history.publish("/plants/WOB", *[notification() for _ in range(5)])
    for _ in range(21):
        history.publish("/plants/WOB", *[notification() for _ in range(5)])
    history.settle()
    status, body = history.page(channel="/plants/WOB", limit="100")
    assert status == 200 and len(body["items"]) == 100 and body["nextCursor"] is not None
    assert len(history.page(channel="/plants/WOB")[1]["items"]) == 50  # the default


def test_unread_counts_follow_marks_by_event_id_and_the_read_position(history: History) -> None:
    sent = [notification() for _ in range(6)]
    history.publish("/markets/DE/VELA", *sent[:3])
    history.publish("/markets/DE/NOVA", *sent[3:])
    assert history.unread("/markets/DE/*")[1] == {
        "channel": "/markets/DE/*", "unread": 6, "capped": False, "readUpTo": None,
    }  # fmt: skip
    assert history.mark({"eventIds": [sent[0]["eventId"], sent[4]["eventId"]]}) == (
        200, {"marked": 2, "readUpTo": None},
    )  # fmt: skip
    assert history.unread("/markets/DE/*")[1]["unread"] == 4
    assert history.unread("/markets/DE/VELA")[1]["unread"] == 2
    history.settle()
    cursor = history.page(channel="/markets/DE/*")[1]["items"][3]["cursor"]  # the first NOVA one
    assert history.mark({"upTo": cursor}) == (200, {"marked": 0, "readUpTo": cursor})
    assert history.unread("/markets/DE/*")[1] == {
        "channel": "/markets/DE/*", "unread": 1, "capped": False, "readUpTo": cursor,
    }  # fmt: skip
    # another user's state is their own
    other = {"sub": "analyst-fr", "markets": "[DE]", "plants": "[]"}
    assert history.unread("/markets/DE/*", other)[1]["unread"] == 6


def test_read_state_survives_a_new_process_reading_the_same_table(
    history: History, dynamodb: LocalDynamoDb
) -> None:
    sent = [notification() for _ in range(3)]
    history.publish("/users/analyst-de", *sent)
    history.mark({"eventIds": [sent[1]["eventId"]]})
    # another device: a fresh store object on the same table, nothing shared but DynamoDB
    fresh = DynamoDbReadState(HistoryTable(history.store.table.name, dynamodb.client()))
    assert fresh.read_among("analyst-de", [p["eventId"] for p in sent]) == {sent[1]["eventId"]}
    assert history.unread("/users/analyst-de")[1]["unread"] == 2


def test_mark_all_read_never_moves_the_read_position_back(history: History) -> None:
    history.publish("/plants/WOB", notification(), notification())
    history.settle()
    first, second = (item["cursor"] for item in history.page(channel="/plants/WOB")[1]["items"])
    assert history.mark({"upTo": second})[1]["readUpTo"] == second
    assert history.mark({"upTo": first})[1]["readUpTo"] == second
    assert history.unread("/plants/WOB")[1]["unread"] == 0


def test_an_event_on_two_channels_of_a_pattern_counts_once(history: History) -> None:
    payload = notification()
    history.publish("/markets/DE/VELA", payload)
    history.publish("/markets/DE/NOVA", payload)
    assert history.unread("/markets/DE/*")[1]["unread"] == 1


def test_the_unread_count_stops_at_the_cap(history: History) -> None:
    for _ in range(21):
        history.publish("/plants/WOB", *[notification() for _ in range(5)])
    assert history.unread("/plants/WOB")[1] == {
        "channel": "/plants/WOB", "unread": 100, "capped": True, "readUpTo": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("", "body"),
        ("{not json", "body"),
        ([], "body"),
        ({}, "body"),
        ({"eventIds": ["a"], "upTo": "x"}, "body"),
        ({"eventIds": []}, "eventIds"),
        ({"eventIds": "e-1"}, "eventIds"),
        ({"eventIds": [f"e-{n}" for n in range(101)]}, "eventIds"),
        ({"eventIds": ["ok", 7]}, "eventIds[1]"),
        ({"eventIds": ["has space"]}, "eventIds[0]"),
        ({"upTo": "garbage"}, "upTo"),
        ({"upTo": 12}, "upTo"),
        ({"upTo": Position(START + 3600 * MICROS_PER_SECOND, "e").cursor}, "upTo"),  # in the future
        ({"eventIds": ["a"], "extra": 1}, "extra"),
    ],
)
def test_a_bad_read_request_is_400_naming_the_field(history: History, body: Any, field: str) -> None:
    status, answer = history.mark(body)
    assert status == 400, answer
    assert answer["errors"][0]["field"] == field


def test_a_huge_refused_value_is_quoted_back_cut_short(history: History) -> None:
    """A 10 MB value quoted whole would make the 400 as large: over Lambda's 6 MB response limit, a 502."""
    status, answer = history.mark({"eventIds": ["x" * 10_000_000]})
    assert status == 400, str(answer)[:300]
    problem = answer["errors"][0]["message"]
    assert problem.startswith("is not an eventId, got 'xxx") and problem.endswith("(10,000,002 characters)")
    assert len(problem) < 200, len(problem)


def test_an_unreachable_table_is_503_not_500(
    history: History, dynamodb: LocalDynamoDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        history_api, "history", lambda: DynamoDbHistory(HistoryTable("no-such-table", dynamodb.client()))
    )
    status, body = history.page(channel="/plants/WOB")
    assert status == 503 and "retry" in body["message"]


def test_an_unknown_route_is_404_listing_the_routes(history: History) -> None:
    status, body = history.call("DELETE", "/notifications")
    assert status == 404 and "GET /notifications" in body["message"]
