"""The durable queue of accepted asynchronous invocations: what Lambda accepted survives a crash of the cloud.

Lambda queues an asynchronous invocation durably before it answers 202; callers rely on that (an EventBridge
target forgets its delivery once the function accepted it, an AppSync handler in EVENT mode answers the
publisher). So `LambdaRuntime` writes each invocation here before `invoke_async` returns, updates its
attempts after each failure, and removes it once it succeeded or was handed to the failure hook. At the next
start of the same state folder what is left runs again, its attempts and age kept: at least once, as in AWS.

SQLite in WAL mode with `synchronous=NORMAL`: a commit survives the process being killed (not a power cut),
without an fsync per invocation.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vcn.state_files import prepare_wal_database

log = logging.getLogger("vcn.lambda")

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE invocations (
    request_id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    payload TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at REAL NOT NULL,
    last_error_type TEXT,
    last_error_message TEXT
)
"""
_COLUMNS = (
    "request_id, function, payload, accepted_at, attempts, next_attempt_at, "
    "last_error_type, last_error_message"
)


class AsyncQueueError(RuntimeError):
    """The queue's file cannot be opened or written; the message says what to do."""


@dataclass(frozen=True)
class QueuedInvocation:
    """An accepted asynchronous invocation as the queue keeps it."""

    request_id: str
    function: str  # as the caller named it (name or ARN)
    payload: Any
    accepted_at: float
    attempts: int
    next_attempt_at: float
    last_error_type: str | None = None
    last_error_message: str | None = None


def async_queue_path(state_dir: Path | str) -> Path:
    return Path(state_dir) / "lambda" / "async-invocations.sqlite3"


class AsyncInvocationQueue:
    """The queue of one state folder (one process at a time: the local cloud's state-dir lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            prepare_wal_database(self._db, _SCHEMA, SCHEMA_VERSION)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise AsyncQueueError(
                f"the queue of asynchronous Lambda invocations {path} cannot be opened ({exc}). Check that "
                "the state folder is writable; if the file is damaged, move it aside to start without the "
                "invocations it held."
            ) from None

    def add(self, invocation: QueuedInvocation) -> None:
        """Keep an invocation just accepted; AsyncQueueError when it cannot be kept (nothing was accepted)."""
        # ASCII escapes: any payload a caller could pass, even one with unpaired surrogates, reads back.
        row = (
            invocation.request_id,
            invocation.function,
            json.dumps(invocation.payload, separators=(",", ":")),
            invocation.accepted_at,
            invocation.attempts,
            invocation.next_attempt_at,
            invocation.last_error_type,
            invocation.last_error_message,
        )
        self._write(f"INSERT INTO invocations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)

    def attempted(
        self, request_id: str, attempts: int, next_attempt_at: float, error_type: str, error_message: str
    ) -> None:
        """A failed attempt: the next start resumes with this count, after this time."""
        self._write(
            "UPDATE invocations SET attempts = ?, next_attempt_at = ?, last_error_type = ?, "
            "last_error_message = ? WHERE request_id = ?",
            (attempts, next_attempt_at, error_type, error_message, request_id),
        )

    def remove(self, request_id: str) -> None:
        """Settled: it succeeded, or the failure hook has it."""
        self._write("DELETE FROM invocations WHERE request_id = ?", (request_id,))

    def pending(self) -> list[QueuedInvocation]:
        """What is left, oldest first; an unreadable row is logged (with how to delete it) and skipped."""
        kept: list[QueuedInvocation] = []
        for row in self._db.execute(f"SELECT {_COLUMNS} FROM invocations ORDER BY accepted_at"):
            try:
                kept.append(QueuedInvocation(row[0], row[1], json.loads(row[2]), *row[3:]))
            except (ValueError, TypeError) as exc:  # only a hand-edited file gets here
                log.error(
                    "queue of asynchronous invocations %s: row %s cannot be read (%s); it is skipped. Delete "
                    "it with: sqlite3 %s \"DELETE FROM invocations WHERE request_id = '%s'\"",
                    self.path,
                    row[0],
                    exc,
                    self.path,
                    row[0],
                )
        return kept

    def close(self) -> None:
        self._db.close()

    def _write(self, sql: str, parameters: tuple[Any, ...]) -> None:
        try:
            self._db.execute(sql, parameters)
        except sqlite3.Error as exc:
            raise AsyncQueueError(f"the asynchronous Lambda invocations in {self.path}: {exc}") from None
