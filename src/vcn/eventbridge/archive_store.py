"""Where archived events are kept: `<state>/eventbridge-archives.sqlite3`, one SQLite database of this
EventBridge's own.

Each archive has a row (its name and creation time, so an archive the template declares again at every start
keeps its events and its CreationTime) and its events, each with the time in the event (what a replay's
window selects by), when it was archived (what retention counts from), its size and its JSON. Events are
committed before PutEvents answers; the write-ahead log with `synchronous=NORMAL` keeps every committed event
across a crash of the local cloud (a power cut may lose the last ones).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ARCHIVE_FILE = "eventbridge-archives.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS archives (name TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    archive TEXT NOT NULL,
    event_time REAL NOT NULL,
    archived_at REAL NOT NULL,
    size INTEGER NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (archive, event_time);
"""


@dataclass(frozen=True)
class ArchivedEvent:
    archive: str
    event_time: float
    archived_at: float
    event_json: str


@dataclass(frozen=True)
class ArchiveStats:
    event_count: int
    size_bytes: int


class ArchiveStore:
    """Opened at the first write (an EventBridge without archives leaves no file behind)."""

    def __init__(self, state_dir: Path | None) -> None:
        # Without a state folder (tests of the control plane alone) the events live in memory.
        self.path = state_dir / ARCHIVE_FILE if state_dir is not None else None
        self._db: sqlite3.Connection | None = None

    def _open(self, *, create: bool) -> sqlite3.Connection | None:
        if self._db is None:
            if self.path is None:
                target = ":memory:"
            elif create or self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                target = str(self.path)
            else:
                return None
            # The service may be built in one thread and run in its event loop's: every use is from that loop.
            db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            if self.path is not None:
                self.path.chmod(0o600)  # events carry whatever producers put in them
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _writer(self) -> sqlite3.Connection:
        db = self._open(create=True)
        assert db is not None
        return db

    # --- archives -----------------------------------------------------------------------------------------

    def register(self, name: str, now: float) -> float:
        """Make sure `name` has a row; its creation time (the remembered one when it had a row already)."""
        db = self._writer()
        db.execute("INSERT OR IGNORE INTO archives (name, created) VALUES (?, ?)", (name, now))
        row = db.execute("SELECT created FROM archives WHERE name = ?", (name,)).fetchone()
        return float(row[0])

    def drop(self, name: str) -> int:
        """Delete an archive's row and events; how many events went."""
        db = self._open(create=False)
        if db is None:
            return 0
        with _Transaction(db):
            deleted = db.execute("DELETE FROM events WHERE archive = ?", (name,)).rowcount
            db.execute("DELETE FROM archives WHERE name = ?", (name,))
        return int(deleted)

    def names(self) -> list[str]:
        db = self._open(create=False)
        return [row[0] for row in db.execute("SELECT name FROM archives ORDER BY name")] if db else []

    # --- events -------------------------------------------------------------------------------------------

    def record(self, events: Sequence[ArchivedEvent]) -> None:
        """Commit the events (all or none)."""
        db = self._writer()
        with _Transaction(db):
            db.executemany(
                "INSERT INTO events (archive, event_time, archived_at, size, event) VALUES (?, ?, ?, ?, ?)",
                (
                    (e.archive, e.event_time, e.archived_at, len(e.event_json.encode()), e.event_json)
                    for e in events
                ),
            )

    def stats(self, name: str) -> ArchiveStats:
        db = self._open(create=False)
        if db is None:
            return ArchiveStats(0, 0)
        count, size = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM events WHERE archive = ?", (name,)
        ).fetchone()
        return ArchiveStats(int(count), int(size))

    def expire(self, name: str, archived_before: float) -> int:
        """Delete what `name` archived before that moment (its retention ran out); how many went."""
        db = self._open(create=False)
        if db is None:
            return 0
        with _Transaction(db):
            cursor = db.execute(
                "DELETE FROM events WHERE archive = ? AND archived_at < ?", (name, archived_before)
            )
        return int(cursor.rowcount)

    def first_time(self, name: str, start: float, end: float) -> float | None:
        """The earliest event time in [start, end), or None."""
        db = self._open(create=False)
        row = (
            db.execute(
                "SELECT MIN(event_time) FROM events WHERE archive = ? AND event_time >= ? AND event_time < ?",
                (name, start, end),
            ).fetchone()
            if db
            else (None,)
        )
        return None if row[0] is None else float(row[0])

    def between(self, name: str, start: float, end: float) -> list[ArchivedEvent]:
        """The events whose time is in [start, end), oldest first."""
        db = self._open(create=False)
        if db is None:
            return []
        rows = db.execute(
            "SELECT event_time, archived_at, event FROM events "
            "WHERE archive = ? AND event_time >= ? AND event_time < ? ORDER BY event_time, rowid",
            (name, start, end),
        )
        return [ArchivedEvent(name, float(t), float(a), text) for t, a, text in rows]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class _Transaction:
    """BEGIN ... COMMIT, or ROLLBACK when the block raises (the connection runs in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
