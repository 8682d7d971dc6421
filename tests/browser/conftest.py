"""Fixtures for the console's browser tests: the local cloud (reused from tests/e2e), Debian's Chromium
driven by Playwright, and helpers to sign in and to send events with the real AWS CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.browser import Console
from tests.support.local_cloud import RunningCloud, cloud_running

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Short reconnect backoff so that a restart test does not wait for the production ceiling.
FAST_TIMING = (
    "window.vcnConsoleTiming = {reconnectBaseMs: 200, reconnectMaxMs: 1000, connectTimeoutMs: 5000};"
)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "chromium is not on PATH; `make test` installs Debian's chromium (apt-get install chromium)"
        )
    return path


@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(chromium_path: str, playwright_session: Playwright) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def cloud(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """One local cloud for all browser tests, on ports it keeps when a test restarts it (`restart_cloud`)."""
    state_dir = tmp_path_factory.mktemp("browser-cloud") / "state"
    state_dir.mkdir()
    with cloud_running(state_dir, unless_stopped=True) as running:
        yield running


@pytest.fixture
def open_console(browser: Browser) -> Iterator[Any]:
    """A factory of consoles, each in its own browser context (own session storage), closed after the test."""
    contexts = []
    uncaught: list[str] = []

    def factory(cloud: RunningCloud) -> Console:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(FAST_TIMING)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: uncaught.append(str(error)))
        return Console(page, cloud)

    yield factory
    for context in contexts:
        context.close()
    assert not uncaught, f"the console threw: {uncaught}"
