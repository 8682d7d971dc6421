"""The local DynamoDB's durable state: a write-ahead journal of the requests that changed it, in SQLite.

Every successful state-changing request is appended and committed (WAL mode: the commit is in the WAL file
when `append` returns, which is enough to survive `kill -9`), then `sync` fsyncs the WAL before the
response is sent, so it also survives a power cut. The fsync happens outside the engine's lock and is
shared: one fsync covers every entry committed before it (group commit), so concurrent writers do not
queue behind each other's disk flushes and reads are not held up by them. At start the journal is
replayed in order. A compaction rewrites it, in one transaction, as a shorter request sequence with the
same outcome; a crash during one leaves the old journal in place.

One process owns a journal at a time: `Journal.open` takes an exclusive lock on the folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vcn.state_files import fsync_directory

JOURNAL_FOLDER = "dynamodb"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    region TEXT NOT NULL,
    operation TEXT NOT NULL,
    body BLOB NOT NULL
);
"""


class JournalInUse(Exception):
    """Another process (another local cloud on the same state folder) owns the journal."""


@dataclass(frozen=True)
class JournalEntry:
    region: str
    operation: str
    body: bytes


class Journal:
    """The journal of one state folder (`<state_dir>/dynamodb/journal.sqlite3`)."""

    def __init__(self, connection: sqlite3.Connection, lock_fd: int, path: Path) -> None:
        self._db = connection
        self._lock_fd = lock_fd
        self.path = path
        self.appended_since_compaction = 0
        # The WAL file, opened once: fsync on any descriptor of a file flushes all of its written data.
        self._wal_fd = os.open(f"{path}-wal", os.O_RDONLY)
        fsync_directory(path.parent)  # the WAL file's own name must survive a power cut too
        self._committed = 0  # tickets: entries committed so far
        self._synced = 0  # ... and fsync'd
        self._sync_lock = threading.Lock()

    @classmethod
    def open(cls, state_dir: Path, *, lock_timeout: float = 10.0) -> Journal:
        """Open (or create) the journal and lock it; JournalInUse when another process keeps it locked."""
        folder = Path(state_dir) / JOURNAL_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + lock_timeout
        while True:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # A local cloud killed a moment ago may still be shutting its DynamoDB down: wait a little.
                if time.monotonic() > deadline:
                    os.close(lock_fd)
                    raise JournalInUse(
                        f"another local cloud uses {folder}; stop it, or pass another --state-dir"
                    ) from None
                time.sleep(0.05)
        path = folder / "journal.sqlite3"
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # Commits do not fsync; `sync` does, once for many commits.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(_SCHEMA)
        connection.execute("PRAGMA user_version=1")  # a write, so the WAL file exists from here on
        return cls(connection, lock_fd, path)

    def append(self, entry: JournalEntry) -> int:
        """Commit one entry; returns its ticket for `sync`. Call with the engine's lock held (entries keep
        the order in which their requests were applied)."""
        self._db.execute(
            "INSERT INTO journal (region, operation, body) VALUES (?, ?, ?)",
            (entry.region, entry.operation, entry.body),
        )
        self.appended_since_compaction += 1
        self._committed += 1
        return self._committed

    def sync(self, ticket: int) -> None:
        """Return once the entry with this ticket is on disk (one fsync serves every waiting writer)."""
        if self._synced >= ticket:
            return
        with self._sync_lock:
            if self._synced >= ticket:  # another writer's fsync covered it meanwhile
                return
            covered = self._committed
            os.fsync(self._wal_fd)
            self._synced = max(self._synced, covered)

    def entries(self) -> Iterator[JournalEntry]:
        """Every entry, oldest first."""
        cursor = self._db.execute("SELECT region, operation, body FROM journal ORDER BY seq")
        for region, operation, body in cursor:
            yield JournalEntry(region, operation, bytes(body))

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM journal").fetchone()[0])

    def operations(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT DISTINCT operation FROM journal")}

    def replace(self, entries: Iterable[JournalEntry]) -> int:
        """Rewrite the journal as `entries`, atomically; returns how many were written."""
        written = 0
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM journal")
            for entry in entries:
                self._db.execute(
                    "INSERT INTO journal (region, operation, body) VALUES (?, ?, ?)",
                    (entry.region, entry.operation, entry.body),
                )
                written += 1
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        os.fsync(self._wal_fd)
        self.appended_since_compaction = 0
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return written

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._wal_fd)
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
