"""Reconnect in Chromium: the local cloud (and with it the AppSync listener) stops and starts again on the
same ports and state folder; the console shows the outage, reconnects, re-subscribes and keeps receiving."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import entries_file, ports_of, restart_cloud, unique
from tests.support.local_cloud import RunningCloud, stop_cloud

pytestmark = pytest.mark.browser


def test_console_reconnects_after_the_listener_restarts(
    cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    console = open_console(cloud).sign_in_as("analyst-de")
    before = unique("sc")
    console.put_events(entries_file(tmp_path, "supply-constraint-cleared", constraintId=before))
    expect(console.note(before)).to_be_visible()
    ports = ports_of(cloud)

    stop_cloud(cloud)
    expect(console.status).to_have_attribute("data-state", "reconnecting")
    expect(console.status).to_have_text("Reconnecting\u2026")

    restart_cloud(cloud)
    assert ports_of(cloud) == ports
    console.wait_connected(timeout=20_000)

    after = unique("sc")
    console.put_events(entries_file(tmp_path, "supply-constraint-cleared", constraintId=after))
    expect(console.note(after)).to_be_visible()
    expect(console.note(before)).to_have_count(1)  # the feed survives the outage
    expect(console.notes.first).to_contain_text(after)


def test_a_sign_in_that_expired_while_the_connection_was_down_is_named(
    cloud: RunningCloud, open_console: Any
) -> None:
    """The token is only checked at connect: one that expired during an outage is refused when the console
    reconnects. The console says that the sign-in expired and what to do, not only "Not authorized"."""
    minted = time.monotonic()
    token = cloud.token("analyst-de", "--ttl", "5")
    console = open_console(cloud).open(f"?token={token}")
    console.wait_connected()

    stop_cloud(cloud)
    expect(console.status).to_have_attribute("data-state", "reconnecting")
    time.sleep(max(0.0, 6 - (time.monotonic() - minted)))  # past the token's expiry
    restart_cloud(cloud)
    expect(console.status).to_have_attribute("data-state", "unauthorized", timeout=30_000)
    expect(console.status).to_have_text("Sign-in expired")
    expired = re.compile(r"^Your sign-in expired at .+; sign out and sign in again\.$")
    expect(console.status).to_have_attribute("title", expired)
    expect(console.page.locator("#toasts")).to_contain_text("Live notifications have stopped.")


def test_console_abandons_a_hung_handshake_and_retries(cloud: RunningCloud, open_console: Any) -> None:
    """A frozen server accepts the TCP connection but never answers: the watchdog gives up and retries."""
    console = open_console(cloud).open()
    page = console.page
    page.evaluate("window.vcnConsoleTiming = {...window.vcnConsoleTiming, connectTimeoutMs: 1000}")
    token = cloud.token("analyst-fr")
    cloud.process.send_signal(signal.SIGSTOP)
    try:
        page.locator("#token-input").fill(token)
        page.get_by_role("button", name="Sign in with token").click()
        expect(console.status).to_have_attribute("data-state", "connecting")
        expect(console.status).to_have_attribute("data-state", "reconnecting")
        expect(console.status).to_have_attribute("title", re.compile("no connection_ack"))
    finally:
        cloud.process.send_signal(signal.SIGCONT)
    console.wait_connected()
    expect(page.locator("#subscriptions")).to_have_text("Subscribed to /users/analyst-fr, /markets/FR/*")
