"""Durable files in a state folder: folder entries that survive a power cut, unreadable files set aside.

The local cloud's services keep their state in files they write atomically (temporary file, fsync, rename).
What they share is here: fsyncing the folder so a new or renamed entry survives, and moving a file that can
no longer be read out of the way (kept, with a timestamp, for a person to inspect) so a start goes on.
"""

from __future__ import annotations

import os
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
