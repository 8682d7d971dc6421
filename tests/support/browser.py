"""Browser-test helpers: the console page object, local-cloud restarts on the same ports, entries files."""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.support.local_cloud import AWS, ROOT, RunningCloud, start_cloud

ARTIFACTS = ROOT / "tests" / "artifacts"
PUT_EVENTS = ROOT / "events" / "put-events"


def ports_of(cloud: RunningCloud) -> list[int]:
    info = cloud.info
    urls = [info["api"], info["eventbridge"], info["appsync"]["http"], info["appsync"]["https"]]
    if info.get("dynamodb"):
        urls.append(info["dynamodb"])
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
