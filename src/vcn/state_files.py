"""Durable files in a state folder: folder entries that survive a power cut, unreadable files set aside.

The local cloud's services keep their state in files they write atomically (temporary file, fsync, rename).
What they share is here: fsyncing the folder so a new or renamed entry survives, moving a file that can no
longer be read out of the way (kept, with a timestamp, for a person to inspect) so a start goes on, and
preparing the SQLite databases that journal what must survive the process (WAL mode, a schema version).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path


def fsync_directory(directory: Path) -> None:
    """Flush a folder's entries (names created or renamed in it) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def set_aside(path: Path) -> Path:
    """Rename an unreadable file to `<name>.unreadable-<local time>` beside it and return the new path."""
    aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
    os.replace(path, aside)
    return aside


def prepare_wal_database(
    db: sqlite3.Connection, schema: str, version: int, synchronous: str = "NORMAL"
) -> None:
    """WAL mode at `synchronous`; in a new database, `schema` created and its user_version set to `version`.
    sqlite3.DatabaseError when WAL is not available or the file holds another schema version."""
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode != "wal":
        raise sqlite3.DatabaseError(f"WAL mode is not available (journal_mode is {mode})")
    db.execute(f"PRAGMA synchronous={synchronous}")
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found == 0:
        db.execute(schema)
        db.execute(f"PRAGMA user_version={version}")
    elif found != version:
        raise sqlite3.DatabaseError(
            f"schema version {found}, this version of the local cloud reads version {version}"
        )
