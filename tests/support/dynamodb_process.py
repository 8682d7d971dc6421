"""`python -m vcn.dynamodb` as the local cloud runs it (a child process on a free port), and boto3 on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.boto_clients import local_client


def dynamodb_client(url: str, region: str = "us-east-1") -> Any:
    return local_client("dynamodb", url, region)


class DynamoDbProcess:
    """One local DynamoDB process for a state folder; `stop()` closes its stdin as the local cloud does."""

    def __init__(self, state_dir: Path, *extra: str, port: int | None = None) -> None:
        self.state_dir = state_dir
        # Port 0 unless a test asks for one: the service binds a free port itself and names it when ready, so
        # no other test (another pytest worker) can take the port between choosing it and binding it.
        self.port = port or 0
        self.log_path = state_dir.parent / f"{state_dir.name}-dynamodb.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "vcn.dynamodb",
                "--port", str(self.port),
                "--state-dir", str(state_dir),
                "--stop-on-stdin-eof",
                *extra,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.ready: dict[str, Any] = json.loads(self.process.stdout.readline() or b"{}")
        if self.ready.get("ready"):
            self.port = int(str(self.ready["url"]).rsplit(":", 1)[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, region: str = "us-east-1") -> Any:
        return dynamodb_client(self.url, region)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        self._log.close()
        return code

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self._log.close()
