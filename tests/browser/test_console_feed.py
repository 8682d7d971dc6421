"""The live feed in Chromium: events sent with the AWS CLI appear, only for granted markets, with their
priority, type and unread state (the populated console and its filters: test_console_screenshot.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import PUT_EVENTS, entries_file, unique
from tests.support.local_cloud import RunningCloud

pytestmark = pytest.mark.browser

DELIVERY_BOUND_MS = 2_000  # the behavioural bound: an event is on screen within 2 s


def test_console_shows_an_event_sent_with_the_aws_cli(cloud: RunningCloud, open_console: Any) -> None:
    console = open_console(cloud).open()
    page = console.page
    # keyboard only: tab to the demo analyst and press Enter
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.user") == "analyst-us":
            break
    page.keyboard.press("Enter")
    console.wait_connected()
    expect(page.locator("#feed")).to_have_attribute("aria-live", "polite")
    expect(console.page.locator("#subscriptions")).to_have_text(
        "Subscribed to /users/analyst-us, /markets/US/*, /plants/CHA"
    )
    [event_id] = console.put_events(PUT_EVENTS / "configuration-validated.json")

    note = console.page.locator(f"#feed > li[data-event-id='{event_id}']")
    expect(note).to_be_visible(timeout=DELIVERY_BOUND_MS)
    expect(note).to_have_attribute("data-type", "ConfigurationValidated")
    expect(note.locator(".badge")).to_have_text("NORMAL")
    expect(note.locator(".title")).to_have_text("cfg-terra-us-0007 \u2014 INVALID")
    expect(note.locator(".facts")).to_contain_text("TERRA")
    expect(note.locator("time")).to_have_text("just now")
    expect(console.page.locator("#unread")).to_have_text("1")


def test_console_hides_other_markets(cloud: RunningCloud, open_console: Any, tmp_path: Path) -> None:
    token = cloud.token("analyst-de")
    german = open_console(cloud).open(f"?token={token}")
    german.wait_connected()
    assert "token=" not in german.page.url, "the token must not stay in the address bar"
    american = open_console(cloud).sign_in_as("analyst-us")

    us_id, de_id = unique("cfg-us"), unique("cfg-de")
    american_event = entries_file(tmp_path, "configuration-validated", configurationId=us_id)
    german_event = entries_file(
        tmp_path,
        "configuration-validated",
        configurationId=de_id,
        market="DE",
        modelLine="ARC",
        plant="ZWI",
        submittedBy="analyst-fr",  # reaches analyst-de through /markets/DE/* only
    )
    german.put_events(american_event)
    # the US analyst seeing it proves the event was fanned out before the German console is checked
    expect(american.note(us_id)).to_be_visible(timeout=DELIVERY_BOUND_MS)
    german.put_events(german_event)
    expect(german.note(de_id)).to_be_visible(timeout=DELIVERY_BOUND_MS)
    expect(german.note(us_id)).to_have_count(0)
    expect(german.notes).to_have_count(1)
