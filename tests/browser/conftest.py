"""Fixtures for the console's browser tests: the local cloud (reused from tests/e2e), Debian's Chromium
driven by Playwright, and helpers to sign in and to send events with the real AWS CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.e2e.conftest import AWS, ROOT, RunningCloud, start_cloud, stop_cloud

ARTIFACTS = ROOT / "tests" / "artifacts"
PUT_EVENTS = ROOT / "events" / "put-events"
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
    running = start_cloud(state_dir)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_cloud(running)


def ports_of(cloud: RunningCloud) -> list[int]:
    info = cloud.info
    urls = [info["api"], info["eventbridge"], info["appsync"]["http"], info["appsync"]["https"]]
    return [int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]) for url in urls]


def restart_cloud(cloud: RunningCloud) -> None:
    """Start a stopped cloud again with the same ports and state folder (so its signing key and tokens)."""
    again = start_cloud(cloud.state_dir, ports=ports_of(cloud))
    cloud.process, cloud.info = again.process, again.info


@dataclass
class Console:
    """One browser page on the console of a running local cloud."""

    page: Page
    cloud: RunningCloud

    @property
    def status(self) -> Any:
        return self.page.locator("#connection-status")

    @property
    def notes(self) -> Any:
        return self.page.locator("#feed > li")

    def note(self, text: str) -> Any:
        return self.page.locator("#feed > li", has_text=text)

    def open(self, query: str = "") -> Console:
        self.page.goto(self.cloud.info["console"] + query)
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true", timeout=10_000)
        return self

    def sign_in_as(self, analyst: str) -> Console:
        self.open()
        self.page.locator(f"#analyst-list button[data-user='{analyst}']").click()
        return self.wait_connected()

    def wait_connected(self, timeout: float = 15_000) -> Console:
        expect(self.status).to_have_attribute("data-state", "connected", timeout=timeout)
        return self

    def put_events(self, entries: Path) -> list[str]:
        """Send an entries file with the real AWS CLI; return the event ids EventBridge assigned."""
        result = subprocess.run(
            [
                AWS, "events", "put-events",
                "--entries", f"file://{entries}",
                "--endpoint-url", self.cloud.info["eventbridge"],
                "--output", "json",
            ],
            env=self.cloud.aws_env(),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["FailedEntryCount"] == 0, answer
        return [entry["EventId"] for entry in answer["Entries"]]


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


def entries_file(directory: Path, sample: str, **detail: Any) -> Path:
    """A copy of `events/put-events/<sample>.json` with detail fields replaced (unique ids per test)."""
    entries = json.loads((PUT_EVENTS / f"{sample}.json").read_text())
    for entry in entries:
        entry["Detail"] = json.dumps({**json.loads(entry["Detail"]), **detail})
    path = directory / f"{sample}-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(entries))
    return path


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
