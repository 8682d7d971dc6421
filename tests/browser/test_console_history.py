"""History in Chromium: what the console shows on sign-in and reload, the read state kept on the server, and
what it says after being offline (closed, or its connection down while the service carried on).

The cloud's history works either on its own DynamoDB or on moto wired in (tests/support/history_cloud.py).
Each test signs in a user of its own, granted a market of its own, so tests share the cloud but not state.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from tests.support.browser import Console, entries_file
from tests.support.history_cloud import cloud_with_history
from tests.support.local_cloud import RunningCloud
from tests.support.tcp_proxy import TcpProxy, tcp_proxy

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HISTORY_MS = 20_000  # the history API's first call starts its Lambda worker


@pytest.fixture(scope="module")
def history_cloud(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with cloud_with_history(tmp_path_factory.mktemp("history-cloud") / "state") as cloud:
        yield cloud


class Analyst:
    """A user of this test's own, granted one market of its own (so counts are this test's alone)."""

    def __init__(self, cloud: RunningCloud) -> None:
        self.cloud = cloud
        self.user = f"hist-{uuid.uuid4().hex[:8]}"
        self.market = f"M{uuid.uuid4().hex[:5].upper()}"
        self.token = cloud.token(self.user, "--markets", self.market, "--claim", "plants=")

    def validations(self, console: Console, directory: Path, count: int) -> list[str]:
        """`count` ConfigurationValidated events for this analyst's market, put with the AWS CLI."""
        ids = []
        for _ in range(count):
            entries = entries_file(
                directory,
                "configuration-validated",
                configurationId=f"cfg-{uuid.uuid4().hex[:10]}",
                market=self.market,
                modelLine="VELA",
                plant="ZWI",
                submittedBy=self.user,
                priority="NORMAL",
            )
            ids += console.put_events(entries)
        return ids

    def wait_recorded(self, event_ids: list[str], timeout: float = 30.0) -> None:
        """Until the history serves every one of them (recording is asynchronous, reads settle for 2 s)."""
        query = urllib.parse.urlencode({"channel": f"/markets/{self.market}/*", "limit": "100"})
        request = urllib.request.Request(
            f"{self.cloud.info['api']}/notifications?{query}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(request, timeout=30) as response:
                served = {item["eventId"] for item in json.loads(response.read())["items"]}
            if set(event_ids) <= served:
                return
            assert time.monotonic() < deadline, f"the history never served {set(event_ids) - served}"
            time.sleep(0.3)

    def channels(self) -> str:
        return f"Subscribed to /users/{self.user}, /markets/{self.market}/*"


def signed_in(console: Console, analyst: Analyst) -> Console:
    console.open(f"?token={analyst.token}")
    console.wait_connected(timeout=20_000)
    expect(console.page.locator("#subscriptions")).to_have_text(analyst.channels())
    return console


def note(console: Console, event_id: str) -> Any:
    return console.page.locator(f"#feed > li[data-event-id='{event_id}']")


def server_unread(console: Console, channel: str) -> Any:
    return console.page.locator(f"#server-unread .channel-unread[data-channel='{channel}']")


def test_sign_in_and_reload_show_the_history_and_the_servers_unread_counts(
    history_cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    analyst = Analyst(history_cloud)
    console = open_console(history_cloud)
    sent = analyst.validations(console, tmp_path, 3)  # while nobody is signed in
    analyst.wait_recorded(sent)

    signed_in(console, analyst)
    for _ in range(2):  # the first sign-in on this browser, then a reload
        for event_id in sent:
            expect(note(console, event_id)).to_be_visible(timeout=HISTORY_MS)
            expect(note(console, event_id)).to_have_attribute("data-origin", "history")
            expect(note(console, event_id)).to_have_class("note priority-normal unread")
        expect(console.notes).to_have_count(3)  # each once, though on two channels
        expect(console.page.locator("#unread")).to_have_text("3")
        expect(server_unread(console, f"/markets/{analyst.market}/*")).to_have_attribute("data-unread", "3")
        expect(server_unread(console, f"/users/{analyst.user}")).to_have_text(
            f"/users/{analyst.user}: 3 unread"
        )
        console.page.reload()
        console.wait_connected(timeout=20_000)
    # oldest at the bottom: history is placed by notification time, newest first
    expect(console.notes.last).to_have_attribute("data-event-id", sent[0])


def test_mark_all_read_survives_a_reload_and_a_reload_counts_what_came_meanwhile(
    history_cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    analyst = Analyst(history_cloud)
    console = open_console(history_cloud)
    sent = analyst.validations(console, tmp_path, 2)
    analyst.wait_recorded(sent)
    signed_in(console, analyst)
    expect(console.page.locator("#unread")).to_have_text("2", timeout=HISTORY_MS)
    live = analyst.validations(console, tmp_path, 1)  # arrives live; not in the history for a moment
    expect(note(console, live[0])).to_have_attribute("data-origin", "live")
    expect(console.page.locator("#unread")).to_have_text("3")

    console.page.get_by_role("button", name="Mark all read").click()
    expect(console.page.locator("#unread")).to_have_text("0")
    expect(server_unread(console, f"/markets/{analyst.market}/*")).to_have_attribute("data-unread", "0")

    console.page.reload()
    console.wait_connected(timeout=20_000)
    for event_id in sent + live:
        expect(note(console, event_id)).to_be_visible(timeout=HISTORY_MS)
        expect(note(console, event_id)).not_to_have_class("unread")
    expect(console.page.locator("#unread")).to_have_text("0")
    expect(server_unread(console, f"/markets/{analyst.market}/*")).to_have_attribute("data-unread", "0")
    expect(console.page.locator("#offline-note")).to_be_hidden()

    # the console closes; two notifications arrive; it opens again
    console.page.goto("about:blank")
    later = analyst.validations(console, tmp_path, 2)
    analyst.wait_recorded(later)
    console.open()
    console.wait_connected(timeout=20_000)
    expect(console.page.locator("#offline-note")).to_have_text(
        "2 notifications arrived while you were away.", timeout=HISTORY_MS
    )
    for event_id in later:
        expect(note(console, event_id)).to_have_class("note priority-normal unread")
    expect(console.page.locator("#unread")).to_have_text("2")


def routed_through(console: Console, proxy: TcpProxy) -> None:
    """The console's realtime connection goes through `proxy` (its HTTP calls go straight)."""

    def rewrite(route: Route) -> None:
        response = route.fetch()
        config = response.json()
        config["appsync"]["realtime"] = proxy.url_for(config["appsync"]["realtime"])
        route.fulfill(response=response, json=config)

    console.page.route("**/config.json", rewrite)


def test_after_its_connection_was_down_the_console_shows_what_it_missed_and_says_how_many(
    history_cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    analyst = Analyst(history_cloud)
    console = open_console(history_cloud)
    # the read that keeps the cursor up to date runs during the outage (7 s after the live one): what it
    # finds was still missed
    console.page.add_init_script(
        "window.vcnConsoleTiming = {...window.vcnConsoleTiming, history: {checkpointMs: 7000}};"
    )
    with tcp_proxy(history_cloud.info["appsync"]["realtime"]) as proxy:
        routed_through(console, proxy)
        signed_in(console, analyst)
        before = analyst.validations(console, tmp_path, 1)
        expect(note(console, before[0])).to_have_attribute("data-origin", "live")

        proxy.cut()
        expect(console.status).to_have_attribute("data-state", "reconnecting")
        missed = analyst.validations(console, tmp_path, 4)  # delivered to nobody: the console is cut off
        analyst.wait_recorded(missed)
        time.sleep(4)
        proxy.restore()

        console.wait_connected(timeout=20_000)
        offline = console.page.locator("#offline-note")
        expect(offline).to_have_text(
            "4 notifications arrived while the connection was down.", timeout=HISTORY_MS
        )
        for event_id in missed:
            expect(note(console, event_id)).to_have_attribute("data-origin", "recovered")
            expect(note(console, event_id)).to_contain_text("arrived while offline")
        after = analyst.validations(console, tmp_path, 1)
        expect(note(console, after[0])).to_have_attribute("data-origin", "live")
        time.sleep(4)  # the settle read after the reconnect adds nothing twice
        expect(console.notes).to_have_count(6)
        expect(offline).to_have_attribute("data-count", "4")
        expect(console.notes.first).to_have_attribute("data-event-id", after[0])


def test_a_saved_position_the_service_refuses_is_replaced_and_said_not_repeated_on_every_reload(
    history_cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    """An edited (or otherwise unusable) cursor in localStorage: the console shows the recent history and the
    server's unread counts anyway, says which position was refused and why, and the next reload is clean."""
    analyst = Analyst(history_cloud)
    console = open_console(history_cloud)
    sent = analyst.validations(console, tmp_path, 2)
    analyst.wait_recorded(sent)
    signed_in(console, analyst)
    channel = f"/markets/{analyst.market}/*"
    expect(server_unread(console, channel)).to_have_attribute("data-unread", "2", timeout=HISTORY_MS)
    console.page.wait_for_function(  # the console saved its position in the channel
        "([key, channel]) => (JSON.parse(localStorage.getItem(key) || '{}').cursors || {})[channel]",
        arg=[f"vcn.history.{analyst.user}", channel],
    )
    console.page.evaluate(
        """([key, channel]) => {
            const saved = JSON.parse(localStorage.getItem(key));
            saved.cursors[channel] = "edited-by-hand";
            localStorage.setItem(key, JSON.stringify(saved));
        }""",
        [f"vcn.history.{analyst.user}", channel],
    )

    console.page.reload()
    console.wait_connected(timeout=20_000)
    problem = console.page.locator("#history-status")
    refused = f"The saved history position of {channel} was refused"
    expect(problem).to_contain_text(refused, timeout=HISTORY_MS)
    expect(problem).to_contain_text("after is not a cursor this service handed out")
    for event_id in sent:
        expect(note(console, event_id)).to_be_visible()
    expect(server_unread(console, channel)).to_have_attribute("data-unread", "2")

    console.page.reload()
    console.wait_connected(timeout=20_000)
    for event_id in sent:
        expect(note(console, event_id)).to_be_visible(timeout=HISTORY_MS)
    expect(server_unread(console, channel)).to_have_attribute("data-unread", "2")
    expect(problem).to_be_hidden()
