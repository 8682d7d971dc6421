"""The local DynamoDB as a child process of the local cloud: started, watched and stopped from asyncio.

A child process rather than a thread: moto's request handling is CPU-bound Python, and in the local cloud's
process it would hold the GIL against the event loop that delivers notifications (bench/README.md,
"Local DynamoDB", measures both). The child keeps its standard input open to the parent and stops when it
closes, so it never outlives a local cloud that was killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path

from .config import DynamoDbSettings
from .errors import DynamoDbUnavailable

log = logging.getLogger("vcn.dynamodb")
_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING, "ERROR": logging.ERROR}


class LocalDynamoDb:
    """`python -m vcn.dynamodb` for one state folder, on `host:port`."""

    def __init__(
        self,
        *,
        state_dir: Path,
        host: str,
        port: int,
        account: str,
        region: str,
        settings: DynamoDbSettings | None = None,
        python: str = sys.executable,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.host = host
        self.port = port
        self.account = account
        self.region = region
        self.settings = settings or DynamoDbSettings()
        self._python = python
        self._process: asyncio.subprocess.Process | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self) -> None:
        """Spawn the service; return once it replayed its journal and listens (else DynamoDbUnavailable)."""
        self._process = await asyncio.create_subprocess_exec(
            self._python,
            "-m",
            "vcn.dynamodb",
            "--host", self.host,
            "--port", str(self.port),
            "--state-dir", str(self.state_dir),
            "--account", self.account,
            "--region", self.region,
            "--ttl-sweep-seconds", str(self.settings.ttl_sweep_seconds),
            "--compact-after-entries", str(self.settings.compact_after_entries),
            "--stop-on-stdin-eof",
            "--log-level", logging.getLevelName(min(log.getEffectiveLevel(), logging.INFO)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self._process.stdout is not None and self._process.stderr is not None
        self._tasks.append(asyncio.create_task(self._pump_logs(self._process.stderr)))
        try:
            line = await asyncio.wait_for(
                self._process.stdout.readline(), self.settings.start_timeout_seconds
            )
        except TimeoutError:
            await self.stop()
            raise DynamoDbUnavailable(
                "timeout",
                f"the local DynamoDB did not start within {self.settings.start_timeout_seconds:.0f} s "
                f"(replaying {self.state_dir / 'dynamodb'}); see the log above",
            ) from None
        try:
            message = json.loads(line) if line else {}
        except ValueError:
            message = {"ready": False, "error": "exited", "message": line.decode(errors="replace")}
        if not message.get("ready"):
            await self.stop()
            reason = str(message.get("error", "exited"))
            text = str(message.get("message") or "the local DynamoDB exited during start-up (see the log)")
            raise DynamoDbUnavailable(reason, text)
        self._tasks.append(asyncio.create_task(self._pump_logs(self._process.stdout)))
        self._tasks.append(asyncio.create_task(self._watch()))

    async def _pump_logs(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            level, sep, text = line.decode(errors="replace").rstrip().partition("|")
            if sep and level in _LEVELS:
                log.log(_LEVELS[level], "%s", text)
            else:
                log.info("%s", line.decode(errors="replace").rstrip())

    async def _watch(self) -> None:
        assert self._process is not None
        code = await self._process.wait()
        if not self._stopping:
            log.error(
                "the local DynamoDB exited unexpectedly (status %s); DynamoDB calls fail until the local "
                "cloud restarts (acknowledged writes are in the journal)",
                code,
            )

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Close its standard input (it stops after the request in progress), then wait; kill if it hangs."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), grace_seconds)
            except TimeoutError:
                log.warning("the local DynamoDB did not stop within %.0f s; killing it", grace_seconds)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        for task in self._tasks:
            if not task.done():
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, 1.0)
        self._tasks.clear()
