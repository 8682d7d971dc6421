"""The live feed in Chromium: events sent with the AWS CLI appear, only for granted markets, with the
priority, type, unread and filter behaviour the issue asks for, and a screenshot of a populated console."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, PUT_EVENTS, entries_file, unique
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


def test_console_screenshot_with_a_populated_feed(
    cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    console = open_console(cloud).sign_in_as("admin")
    page = console.page
    # one PutEvents call with six entries of three types, then one more: the newest is on top
    batch = combined(
        tmp_path,
        entries_file(tmp_path, "configuration-validated", configurationId=unique("cfg-terra-us")),
        entries_file(tmp_path, "spec-adjustment-recommended", configurationId=unique("cfg-terra-us")),
        entries_file(tmp_path, "supply-constraint-raised", constraintId=unique("sc")),
    )
    batch_ids = console.put_events(batch)
    assert len(batch_ids) == 6
    expect(console.notes).to_have_count(6)
    expect(page.locator("#toasts .toast.priority-urgent")).to_contain_text("BAT-MOD-86KWH-7731")
    [latest] = console.put_events(
        entries_file(tmp_path, "supply-constraint-cleared", constraintId=unique("sc"))
    )
    expect(console.notes.first).to_have_attribute("data-event-id", latest)
    shown = 7
    expect(console.notes).to_have_count(shown)
    for event_id in [*batch_ids, latest]:
        expect(page.locator(f"#feed > li[data-event-id='{event_id}']")).to_have_count(1)

    expect(page.locator("#unread")).to_have_text(str(shown))
    urgent = page.locator("#feed > li[data-priority='URGENT']")
    expect(urgent).to_have_count(1)
    expect(urgent).to_have_class("note priority-urgent unread")
    expect(urgent.locator(".icon")).to_have_text("\u26a0")

    page.select_option("#filter-priority", "URGENT")
    expect(page.locator("#feed > li:visible")).to_have_count(1)
    page.select_option("#filter-priority", "")
    page.select_option("#filter-type", "SpecAdjustmentRecommended")
    expect(page.locator("#feed > li:visible")).to_have_count(3)
    page.select_option("#filter-type", "")
    expect(page.locator("#feed > li:visible")).to_have_count(shown)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)

    page.locator("#mark-read").click()
    expect(page.locator("#unread")).to_have_text("0")
    expect(page.locator("#feed > li.unread")).to_have_count(0)


def combined(directory: Path, *files: Path) -> Path:
    """One entries file with the entries of `files` (PutEvents takes up to 10)."""
    path = directory / "combined.json"
    path.write_text(json.dumps([entry for file in files for entry in json.loads(file.read_text())]))
    return path
