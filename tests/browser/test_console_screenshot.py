"""A populated console in Chromium: seven notifications of four types, newest on top, the urgent one
marked, the priority and type filters, mark all read, and a screenshot for the README.

Its own module, so its own local cloud: the console shows the history on sign-in, and the counts here are
those of this test's notifications alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, entries_file, unique
from tests.support.local_cloud import RunningCloud

pytestmark = pytest.mark.browser


def test_console_screenshot_with_a_populated_feed(
    cloud: RunningCloud, open_console: Any, tmp_path: Path
) -> None:
    console = open_console(cloud).sign_in_as("admin")
    page = console.page
    # one PutEvents call with six entries of three types, then one more: the newest is on top
    raised, cleared = unique("sc"), unique("sc")
    batch = combined(
        tmp_path,
        entries_file(tmp_path, "configuration-validated", configurationId=unique("cfg-terra-us")),
        entries_file(tmp_path, "spec-adjustment-recommended", configurationId=unique("cfg-terra-us")),
        entries_file(tmp_path, "supply-constraint-raised", constraintId=raised),
    )
    batch_ids = console.put_events(batch)
    assert len(batch_ids) == 6
    expect(console.notes).to_have_count(6)
    expect(page.locator("#toasts .toast.priority-urgent")).to_contain_text("BAT-MOD-86KWH-7731")
    console.put_events(entries_file(tmp_path, "supply-constraint-cleared", constraintId=cleared))
    expect(console.notes.first).to_contain_text(cleared)
    shown = 7
    expect(console.notes).to_have_count(shown)
    # Validation notifications carry the put events' ids; supply ones the supply ingress's checked events'.
    sources = [entry["Source"] for entry in json.loads(batch.read_text())]
    for event_id, source in zip(batch_ids, sources, strict=True):
        expected = 0 if source == "vehicle-config.supply" else 1
        expect(page.locator(f"#feed > li[data-event-id='{event_id}']")).to_have_count(expected)
    expect(page.locator("#feed > li", has_text=raised)).to_have_count(2)
    expect(page.locator("#feed > li", has_text=cleared)).to_have_count(1)

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
