"""Recovery through real components: a subscriber cut off by the network misses nothing.

The local AppSync Events server records every publish with the real history recorder (OnPublish, EVENT mode)
in moto's DynamoDB; the real history API handler serves it over HTTP behind the JWT authorizer; a TCP proxy
cuts the subscriber's realtime connection while publishers carry on. Real clocks throughout: a recovery
takes the history's settle time (about 3 s) to close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from appsync_events_client import (
    EventsConnection,
    HistoryError,
    HistoryPage,
    HistoryQuery,
    HistorySource,
    RecoveringSubscription,
    Since,
    subscribe_with_recovery,
)
from appsync_events_client.history import MAX_SINCE_SECONDS
from vehicle_config.history import reading

from tests.support.dynamodb import LocalDynamoDb
from tests.support.event_api import eventually
from tests.support.history_rig import HistoryRig, notification, run_in_history_rig

CHANNEL = "/markets/DE/*"
Scenario = Callable[[HistoryRig], Awaitable[None]]


@pytest.fixture
def with_rig(
    tmp_path: Path, dynamodb: LocalDynamoDb, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Scenario], None]:
    def go(scenario: Scenario) -> None:
        run_in_history_rig(tmp_path / "state", dynamodb, monkeypatch, scenario, timeout=90)

    return go


async def receive(events: RecoveringSubscription, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    return [await events.get(timeout) for _ in range(count)]


async def nothing_more(events: RecoveringSubscription, wait: float = 0.5) -> None:
    with pytest.raises(TimeoutError):
        extra = await events.get(wait)
        raise AssertionError(f"unexpected event {extra}")


def ids(events: list[dict[str, Any]]) -> list[str]:
    return [event["eventId"] for event in events]


async def missed_while_cut_off(
    rig: HistoryRig, connection: EventsConnection, channel: str, count: int, **fields: Any
) -> list[str]:
    """The eventIds of `count` notifications (with `fields`) published to `channel` while `connection` is cut
    off, once it has noticed."""
    notifications = [notification(**fields) for _ in range(count)]
    return await rig.publish_while_cut_off(
        channel, notifications, cut_noticed=lambda: not connection.connected
    )


def test_a_subscriber_cut_off_gets_what_it_missed_in_order_then_live_ones_each_once(
    with_rig: Callable[[Scenario], None],
) -> None:
    async def scenario(rig: HistoryRig) -> None:
        async with rig.client().connect() as connection, rig.history() as history:
            events = await subscribe_with_recovery(connection, CHANNEL, history, Since.now())
            before = await rig.publish("/markets/DE/VELA", [notification() for _ in range(3)])
            assert ids(await receive(events, 3)) == before

            missed = await missed_while_cut_off(rig, connection, "/markets/DE/NOVA", 20, model_line="NOVA")
            await eventually(lambda: connection.reconnects >= 1 and connection.connected, what="reconnect")
            live = await rig.publish("/markets/DE/VELA", [notification() for _ in range(3)])

            received = await receive(events, 23)
            assert ids(received) == missed + live  # the gap first, oldest first, then live ones
            assert all(event["channel"] == "/markets/DE/NOVA" for event in received[:20])
            await nothing_more(events, wait=events._settle_delay + 0.5)  # the settle read adds no duplicate
            # the three sent after the reconnect wait for the settle read, which may deliver them first
            assert events.recovered + events.live == 26 and events.recovered >= 20
            assert [report.reason for report in events.reports] == ["reconnect"]  # `now`: nothing at first

    with_rig(scenario)


def test_an_event_delivered_live_and_read_again_from_the_history_is_delivered_once(
    with_rig: Callable[[Scenario], None],
) -> None:
    async def scenario(rig: HistoryRig) -> None:
        async with rig.client().connect() as connection, rig.history() as history:
            events = await subscribe_with_recovery(connection, CHANNEL, history, Since.everything())
            sent = await rig.publish("/markets/DE/VELA", [notification() for _ in range(5)])
            # live at once, and in the history by the settle read: held, then delivered once
            assert ids(await receive(events, 5)) == sent
            await nothing_more(events)
            assert (events.recovered, events.live, events.duplicates) == (5, 0, 5)
            assert events.cursor is not None  # positioned on the last of them

    with_rig(scenario)


def test_since_all_delivers_the_kept_history_before_live_events(with_rig: Callable[[Scenario], None]) -> None:
    async def scenario(rig: HistoryRig) -> None:
        earlier = await rig.publish("/markets/DE/VELA", [notification() for _ in range(7)])
        await rig.publish("/markets/FR/VELA", [notification("FR")])  # not on the channel subscribed
        await rig.wait_recorded("/markets/DE/VELA", earlier)
        async with rig.client().connect() as connection, rig.history() as history:
            events = await subscribe_with_recovery(
                connection, CHANNEL, history, Since.everything(), page_size=3
            )
            live = await rig.publish("/markets/DE/VELA", [notification()])
            assert ids(await receive(events, 8)) == earlier + live
            assert events.reports[0].pages >= 3  # followed nextCursor through pages of three

    with_rig(scenario)


def test_since_a_cursor_resumes_strictly_after_it(with_rig: Callable[[Scenario], None]) -> None:
    async def scenario(rig: HistoryRig) -> None:
        sent = await rig.publish_recorded("/plants/ZWI", [notification() for _ in range(4)])
        async with rig.client().connect() as connection, rig.history() as history:
            first = await subscribe_with_recovery(connection, "/plants/ZWI", history, Since.everything())
            assert ids(await receive(first, 4)) == sent
            cursor_of_second = (await history.read(HistoryQuery("/plants/ZWI"))).items[1]["cursor"]
            resumed = await subscribe_with_recovery(
                connection, "/plants/ZWI", history, Since.after(cursor_of_second)
            )
            assert ids(await receive(resumed, 2)) == sent[2:]
            await nothing_more(resumed)

    with_rig(scenario)


def test_the_resume_cursor_moves_past_the_live_events_delivered_so_resuming_repeats_none(
    with_rig: Callable[[Scenario], None],
) -> None:
    """Started `now`: no cursor yet, and the history holds events from before it subscribed, which it passes
    over. (`vcn subscribe --since all` in tests/cli/test_cli_history.py resumes from a history cursor.)"""

    async def scenario(rig: HistoryRig) -> None:
        channel = "/markets/DE/RESUME"
        await rig.publish_recorded(channel, [notification() for _ in range(2)])
        async with rig.client().connect() as connection, rig.history() as history:
            first = await subscribe_with_recovery(connection, channel, history, Since.now())
            await asyncio.sleep(first._settle_delay + 0.5)  # the settle read is done: the cursor is placed
            live = await rig.publish(channel, [notification() for _ in range(3)])
            assert ids(await receive(first, 3)) == live
            cursor = await first.resume_cursor()
            assert cursor is not None
            await first.unsubscribe()

            after = await rig.publish(channel, [notification()])
            resumed = await subscribe_with_recovery(connection, channel, history, Since.after(cursor))
            assert ids(await receive(resumed, 1)) == after  # none of the live ones again
            await nothing_more(resumed, wait=resumed._settle_delay + 0.5)

    with_rig(scenario)


def test_since_a_duration_counts_back_on_the_services_clock(with_rig: Callable[[Scenario], None]) -> None:
    async def scenario(rig: HistoryRig) -> None:
        old = await rig.publish("/plants/ZWI", [notification()])
        await asyncio.sleep(4.5)
        recent = await rig.publish("/plants/ZWI", [notification()])
        await rig.wait_recorded("/plants/ZWI", old + recent)
        async with rig.client().connect() as connection, rig.history() as history:
            events = await subscribe_with_recovery(connection, "/plants/ZWI", history, Since.last(3))
            assert ids(await receive(events, 1)) == recent  # recorded 2 s ago: found by the settle read
            await nothing_more(events)

    with_rig(scenario)


def test_a_quiet_channel_recovers_from_where_the_empty_history_was_seen(
    with_rig: Callable[[Scenario], None],
) -> None:
    """No cursor yet (nothing recorded): the resume read counts back from when the history was found empty."""

    async def scenario(rig: HistoryRig) -> None:
        async with rig.client().connect() as connection, rig.history() as history:
            events = await subscribe_with_recovery(
                connection, "/users/analyst-de", history, Since.everything()
            )
            await eventually(lambda: len(events.reports) == 1, timeout=15, what="the settle read")
            assert events.cursor is None
            missed = await missed_while_cut_off(rig, connection, "/users/analyst-de", 2)
            assert ids(await receive(events, 2)) == missed

    with_rig(scenario)


def test_a_long_live_session_checkpoints_so_a_later_gap_stays_exact(
    with_rig: Callable[[Scenario], None],
) -> None:
    """Remembering only six eventIds, the subscriber reads the history every three live events."""

    async def scenario(rig: HistoryRig) -> None:
        async with rig.client().connect() as connection, rig.history() as history:
            events = await subscribe_with_recovery(connection, CHANNEL, history, Since.now(), remember=6)
            live = []
            for _ in range(9):
                live += await rig.publish("/markets/DE/VELA", [notification()])
                await asyncio.sleep(0.4)
            assert ids(await receive(events, 9)) == live
            missed = await missed_while_cut_off(rig, connection, "/markets/DE/VELA", 4)
            assert ids(await receive(events, 4)) == missed
            await nothing_more(events, wait=events._settle_delay + 0.5)
            assert events.live == 9 and events.recovered == 4

    with_rig(scenario)


class Flaky:
    """The real source, failing its first `failures` reads as an unreachable service would."""

    def __init__(self, source: HistorySource, failures: int) -> None:
        self.source = source
        self.failures = failures
        self.calls = 0

    async def read(self, query: HistoryQuery) -> HistoryPage:
        self.calls += 1
        if self.calls <= self.failures:
            raise HistoryError("ConnectionFailed", "the history API did not answer")
        return await self.source.read(query)


def test_a_history_outage_is_retried_and_the_gap_still_filled(with_rig: Callable[[Scenario], None]) -> None:
    async def scenario(rig: HistoryRig) -> None:
        sent = await rig.publish_recorded("/plants/ZWI", [notification() for _ in range(3)])
        async with rig.client().connect() as connection, rig.history() as real:
            flaky = Flaky(real, failures=2)
            events = await subscribe_with_recovery(connection, "/plants/ZWI", flaky, Since.everything())
            assert ids(await receive(events, 3)) == sent
            assert flaky.calls >= 3

    with_rig(scenario)


def test_a_channel_the_token_does_not_grant_ends_the_stream_with_the_403(
    with_rig: Callable[[Scenario], None],
) -> None:
    async def scenario(rig: HistoryRig) -> None:
        async with rig.client().connect() as connection, rig.history("analyst-fr") as history:
            events = await subscribe_with_recovery(connection, CHANNEL, history, Since.everything())
            with pytest.raises(HistoryError) as refused:
                await events.get(10)
            assert refused.value.status == 403 and not refused.value.transient
            assert "/markets/DE/*" in refused.value.message
            assert not [s for s in connection.subscriptions if s.channel == CHANNEL]  # unsubscribed

    with_rig(scenario)


def test_the_http_source_reports_what_the_api_refused(with_rig: Callable[[Scenario], None]) -> None:
    async def scenario(rig: HistoryRig) -> None:
        async with rig.history() as history:
            with pytest.raises(HistoryError) as bad_cursor:
                await history.read(HistoryQuery(CHANNEL, after="M" * 40))
            assert bad_cursor.value.status == 400
            # the API's field errors are part of the message: which parameter, and what is wrong with it
            assert bad_cursor.value.message.startswith(
                "Invalid request: fix after: after is not a cursor this service handed out"
            ), bad_cursor.value.message
        from appsync_events_client import HttpHistorySource

        async with HttpHistorySource(rig.api.url, "not-a-jwt") as anonymous:
            with pytest.raises(HistoryError) as unauthorized:
                await anonymous.read(HistoryQuery(CHANNEL))
            assert unauthorized.value.status == 401
        async with HttpHistorySource("http://127.0.0.1:9", rig.token()) as unreachable:
            with pytest.raises(HistoryError) as down:
                await unreachable.read(HistoryQuery(CHANNEL))
            assert down.value.transient and down.value.error_type == "ConnectionFailed"

    with_rig(scenario)


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("now", Since.now()),
        ("all", Since.everything()),
        ("ALL", Since.everything()),
        ("90s", Since.last(90)),
        ("10m", Since.last(600)),
        ("2h", Since.last(7200)),
        ("1d", Since.last(86400)),
        ("1h30m", Since.last(5400)),
        ("MTc5NTAwMDAwMDAwMDAwMCNlLTF-YWJjZGVm", Since.after("MTc5NTAwMDAwMDAwMDAwMCNlLTF-YWJjZGVm")),
    ],
)
def test_since_reads_now_all_durations_and_cursors(text: str, since: Since) -> None:
    assert Since.parse(text) == since


@pytest.mark.parametrize("text", ["", "10x", "0s", "yesterday", "5 minutes", "1000000000s", "11575d"])
def test_since_refuses_what_it_cannot_read_with_the_forms_it_takes(text: str) -> None:
    with pytest.raises(ValueError, match=r"now, all, a duration|at least one second|at most 999999999"):
        Since.parse(text)


def test_the_furthest_start_the_client_takes_is_the_one_the_history_api_takes() -> None:
    assert Since.parse("999999999s") == Since.last(MAX_SINCE_SECONDS)
    assert MAX_SINCE_SECONDS == reading.MAX_SINCE_SECONDS
