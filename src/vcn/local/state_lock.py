"""One local cloud per state folder: `<state-dir>/local.lock`, held with `flock` for the cloud's whole life.

The kernel releases an `flock` when the process that holds it dies, however it dies (even `kill -9`), so the
lock, not the pid written in the file, says whether a cloud runs: a pid can be reused, a lock cannot outlive
its holder. The file's content (the holder's pid and start time) names the running cloud in error messages.
A cloud empties the file just before it lets go; content found by the next holder means its predecessor
died without stopping. Files that only a holder may have (`owned_files`, such as `local.json`) and that are
still there when the lock is taken were left by a dead holder: they are removed before the new holder
records itself, so whoever sees the new pid never sees the old files.

The file itself is never deleted: deleting a lock file lets two processes lock two different files of the
same name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_FILE = "local.lock"
# `lock_holder` probes with a shared lock for a moment; a starting cloud retries that long before giving up.
ACQUIRE_PATIENCE_SECONDS = 1.0


@dataclass(frozen=True)
class LockOwner:
    """The process that holds (or held) a state folder's lock, as it recorded itself."""

    pid: int
    started: str  # ISO 8601, UTC, seconds
    stopping: str | None = None  # when it began to stop (ISO 8601), once it has

    def describe(self) -> str:
        return f"pid {self.pid}, started {self.started}"

    def to_json(self) -> str:
        record = {"pid": self.pid, "started": self.started}
        return json.dumps(record if self.stopping is None else {**record, "stopping": self.stopping}) + "\n"

    @classmethod
    def parse(cls, text: str) -> LockOwner | None:
        """The owner a lock file names; None for an empty or unreadable file (nobody, or half written)."""
        try:
            record: Any = json.loads(text)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        pid, started, stopping = record.get("pid"), record.get("started"), record.get("stopping")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or not isinstance(started, str):
            return None
        return cls(pid, started, stopping if isinstance(stopping, str) else None)


class StateDirBusy(Exception):
    """Another process holds the state folder's lock; `owner` is what it recorded (None: not yet written)."""

    def __init__(self, state_dir: Path, owner: LockOwner | None) -> None:
        self.state_dir = state_dir
        self.owner = owner
        who = owner.describe() if owner else "pid not recorded yet"
        super().__init__(f"another local cloud ({who}) holds {state_dir / LOCK_FILE}")


class StateLock:
    """A held lock on one state folder; `release()` (or leaving the `with` block) lets it go."""

    def __init__(
        self,
        state_dir: Path,
        fd: int,
        owner: LockOwner,
        previous: LockOwner | None,
        dropped: tuple[str, ...],
    ) -> None:
        self.state_dir = state_dir
        self.owner = owner
        self.previous = previous  # recorded by a holder that died without releasing
        self.dropped = dropped  # the owned files that holder left behind, now removed
        self._fd: int | None = fd

    def mark_stopping(self) -> None:
        """Record that this cloud has begun to stop, so a second `vcn local up` meanwhile is told to wait."""
        if self._fd is None:
            return
        self.owner = replace(self.owner, stopping=_now())
        record = self.owner.to_json().encode()
        os.pwrite(self._fd, record, 0)  # over the shorter record, then cut: a reader never sees it empty
        os.ftruncate(self._fd, len(record))

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            # Emptied while still held: the next holder knows this cloud stopped cleanly.
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def acquire_state_lock(
    state_dir: Path, owned_files: Iterable[str] = (), patience: float = ACQUIRE_PATIENCE_SECONDS
) -> StateLock:
    """Lock `state_dir` for this process (creating the folder); `StateDirBusy` if a live process holds it.

    `owned_files` found in the folder are a dead holder's leftovers and are removed. Waits up to `patience`
    seconds, so a `vcn` command probing the lock at that moment is not mistaken for a running cloud.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + patience
        while not _try_flock(fd, fcntl.LOCK_EX):
            if time.monotonic() >= deadline:
                raise StateDirBusy(state_dir, LockOwner.parse(_read(path)))
            time.sleep(0.02)
        previous = LockOwner.parse(_read(path))
        dropped = tuple(name for name in owned_files if _remove(state_dir / name))
        owner = LockOwner(os.getpid(), _now())
        os.ftruncate(fd, 0)
        os.pwrite(fd, owner.to_json().encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return StateLock(state_dir, fd, owner, previous, dropped)


def lock_holder(state_dir: Path) -> LockOwner | None:
    """The live process holding `state_dir`'s lock, or None when no process does (whatever the file says).

    A holder that has not written its record yet is reported with pid 0. The probe (a shared lock, dropped
    at once) never asks whether the recorded pid lives: a pid in another PID namespace, or reused, would
    answer wrongly; the lock cannot.
    """
    path = state_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        if _try_flock(fd, fcntl.LOCK_SH):
            return None  # nobody holds it; our shared lock goes with the descriptor
    finally:
        os.close(fd)
    return LockOwner.parse(_read(path)) or LockOwner(0, "")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def recorded_owner(state_dir: Path) -> LockOwner | None:
    """What the lock file says, whether or not its writer still runs (for messages about stale state)."""
    return LockOwner.parse(_read(state_dir / LOCK_FILE))


def _try_flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _read(path: Path) -> str:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_text()
    return ""
