"""The live feed in Chromium: events sent with the AWS CLI appear, only for granted markets, with their
priority, type and unread state (the populated console and its filters: test_console_screenshot.py)."""

from __future__ import annotations

import json
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


def test_events_that_are_not_notifications_are_counted_not_thrown_on_and_odd_ones_stay_readable(
    cloud: RunningCloud, open_console: Any
) -> None:
    """Whatever a publisher outside the contract puts on a channel (null, a string, an array, a notification
    missing fields, a 2,000-character id), the console goes on: it says how many events it could not show,
    writes no "undefined", and keeps every card inside the feed. (`open_console` fails on any uncaught error;
    a null event threw before.)"""
    console = open_console(cloud).sign_in_as("analyst-de")
    console.wait_connected()
    partial, long_id = unique("cfg-partial"), "c" * 2000
    events = [
        None,
        "just a string",
        [1, 2],
        {"type": "ConfigurationValidated", "eventId": partial, "configurationId": partial, "market": "DE"},
        {"type": "ConfigurationValidated", "eventId": unique("e"), "configurationId": long_id},
    ]
    published = cloud.vcn("publish", "/markets/DE/VELA", *(json.dumps(event) for event in events))
    assert published.returncode == 0, published.stderr

    page = console.page
    expect(page.locator("#feed-problems")).to_have_text(
        "Not shown, as they are not notifications: 3 on /markets/DE/*."
    )
    shown = console.note(partial)
    expect(shown.locator(".title")).to_have_text(f"{partial} \u2014 ?")
    expect(shown.locator(".detail")).to_have_text("")
    assert "undefined" not in page.locator("#feed").inner_text()
    long_note = page.locator("#feed > li", has_text="ccccc")
    expect(long_note).to_be_visible()
    feed_box, note_box = page.locator("#feed").bounding_box(), long_note.bounding_box()
    assert feed_box is not None and note_box is not None
    assert note_box["x"] + note_box["width"] <= feed_box["x"] + feed_box["width"] + 1
