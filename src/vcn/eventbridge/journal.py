"""The delivery journal: every pending delivery of every accepted event, kept in SQLite in the state folder
(`<state-dir>/journal/deliveries.sqlite3`), so that no accepted event is lost when the process dies.

A row is one event on its way to one target of one rule. `record` writes the rows of a PutEvents request
and returns once they are committed: PutEvents answers only after that. `reschedule` keeps the attempt
count, the next attempt time and the last error after each failed attempt; `forget` removes the row once the
delivery is over (delivered, dropped as AWS drops it, or written to its dead-letter queue, whose message
takes the row's id). On start, `pending()` gives the rows back and the dispatcher resumes them where they
were, ages counted from `accepted_at`, the original PutEvents time.

Durability: WAL mode with `synchronous=NORMAL` (the default). A committed transaction is in the WAL file,
in the operating system's cache, when `record` returns: it survives the death of the process (kill -9, a
closed terminal, a crash) but an operating-system crash or power cut may take the last commits with it.
`synchronous=FULL` (setting `journal_synchronous`) also fsyncs every commit, at the cost measured in
`bench/README.md`.

Cost (group commit): `reschedule` and `forget` wait up to `LAZY_COMMIT_SECONDS` for company, and the next
`record` takes whatever waits along into its own transaction. Without fsync a commit is one write(2), about
20 µs: `record` commits at once, which costs less than waiting a turn of the event loop. With
`synchronous=FULL` it commits at the end of the turn instead, so the PutEvents calls handled in one turn share
an fsync. The lazy outcomes widen the window in which a delivery made just before a kill -9 is made again
after the restart (delivery is at least once, as in AWS). Checkpoints, which copy the WAL into the database
file and fsync it, run on a worker thread with their own connection, never on the event loop. Commits stay
on the loop: handed to a writer thread, each must win the GIL back from the loop, and with the loop 13-23 %
busy a record took 5.1-5.5 ms at p99 (the GIL's 5 ms switch interval) against 0.14 ms inline. The price of
inline commits is that a write(2) the file system stalls (under other processes' fsyncs) stalls the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vcn.eventbridge.settings import JournalSync
from vcn.state_files import prepare_wal_database

log = logging.getLogger("vcn.eventbridge")

SCHEMA_VERSION = 1
LAZY_COMMIT_SECONDS = 0.05
CHECKPOINT_EVERY_COMMITS = 256
WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024

_SCHEMA = """
CREATE TABLE deliveries (
    delivery_id TEXT PRIMARY KEY,
    rule_arn TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_arn TEXT NOT NULL,
    dead_letter_queue TEXT,
    event TEXT NOT NULL,
    ingestion_time TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at REAL NOT NULL,
    last_error_code TEXT,
    last_error_message TEXT
)
"""
_INSERT = (
    "INSERT INTO deliveries (delivery_id, rule_arn, target_id, target_arn, dead_letter_queue, event, "
    "ingestion_time, accepted_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_RESCHEDULE = (
    "UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_error_code = ?, last_error_message = ? "
    "WHERE delivery_id = ?"
)
_FORGET = "DELETE FROM deliveries WHERE delivery_id = ?"
_SELECT = (
    "SELECT delivery_id, rule_arn, target_id, target_arn, dead_letter_queue, event, ingestion_time, "
    "accepted_at, attempts, next_attempt_at, last_error_code, last_error_message FROM deliveries "
    "ORDER BY accepted_at, rowid"
)


def journal_path(state_dir: Path | str) -> Path:
    return Path(state_dir) / "journal" / "deliveries.sqlite3"


class JournalError(Exception):
    """The journal cannot be opened or written; the message says what to do."""


@dataclass(frozen=True)
class PendingDelivery:
    """A journal row: an event on its way to one target of one rule."""

    delivery_id: str
    rule_arn: str
    target_id: str
    target_arn: str
    dead_letter_queue: str | None  # the target's, when the event was accepted
    event: Mapping[str, Any]
    ingestion_time: str  # <aws.events.event.ingestion-time>
    accepted_at: float  # epoch seconds of the PutEvents call
    attempts: int = 0
    next_attempt_at: float = 0.0  # epoch seconds
    last_error_code: str | None = None
    last_error_message: str | None = None


class Journal(Protocol):
    """Where pending deliveries live between PutEvents and their end."""

    @property
    def durable(self) -> bool:
        """Whether rows survive the process (False only for the bench's baseline)."""
        ...

    def pending(self) -> list[PendingDelivery]: ...

    async def record(self, deliveries: Sequence[PendingDelivery]) -> None: ...

    def reschedule(
        self, delivery_id: str, attempts: int, next_attempt_at: float, error_code: str, error_message: str
    ) -> None: ...

    def forget(self, delivery_id: str) -> None: ...

    async def flush(self) -> None: ...

    async def close(self) -> None: ...


def _row(row: Sequence[Any]) -> PendingDelivery:
    event = json.loads(row[5])
    if not isinstance(event, dict):
        raise ValueError(f"its event is a JSON {type(event).__name__}, not an object")
    return PendingDelivery(
        delivery_id=row[0],
        rule_arn=row[1],
        target_id=row[2],
        target_arn=row[3],
        dead_letter_queue=row[4],
        event=event,
        ingestion_time=row[6],
        accepted_at=row[7],
        attempts=row[8],
        next_attempt_at=row[9],
        last_error_code=row[10],
        last_error_message=row[11],
    )


@dataclass(frozen=True)
class UnreadableRow:
    """A journal row that is no delivery (only a hand-edited journal has one): skipped, left in place."""

    path: Path
    delivery_id: str
    problem: str

    def describe(self) -> str:
        """What is wrong, and the command that deletes the row."""
        quoted = self.delivery_id.replace("'", "''")  # an SQL string literal
        return (
            f"delivery journal {self.path}: row {self.delivery_id} cannot be read ({self.problem}); it is "
            f'skipped. Delete it with: sqlite3 {self.path} "DELETE FROM deliveries WHERE delivery_id = '
            f"'{quoted}'\""
        )


@dataclass(frozen=True)
class JournalRows:
    """What a read of the journal found: the pending deliveries, and the rows that are none."""

    pending: list[PendingDelivery]
    unreadable: list[UnreadableRow]


def _read_rows(path: Path, rows: Iterable[Sequence[Any]]) -> JournalRows:
    pending: list[PendingDelivery] = []
    unreadable: list[UnreadableRow] = []
    for row in rows:
        try:
            pending.append(_row(row))
        except (ValueError, TypeError) as exc:
            unreadable.append(UnreadableRow(path, str(row[0]), str(exc)))
    return JournalRows(pending, unreadable)


def read_journal(state_dir: Path | str) -> JournalRows:
    """The journal's rows, read without changing anything (e.g. by the CLI while the local cloud runs)."""
    path = journal_path(state_dir)
    if not path.exists():
        return JournalRows([], [])
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)  # a URI wants an absolute path
        try:
            return _read_rows(path, db.execute(_SELECT))
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise JournalError(f"the delivery journal {path} cannot be read ({exc})") from None


def read_pending(state_dir: Path | str) -> list[PendingDelivery]:
    """The journal's pending deliveries; a row that is none is logged, as the local cloud logs it."""
    rows = read_journal(state_dir)
    for unreadable in rows.unreadable:
        log.error("%s", unreadable.describe())
    return rows.pending


class DeliveryJournal:
    """The SQLite journal of one state folder (one process at a time: the local cloud's state-dir lock)."""

    durable = True

    def __init__(self, path: Path, *, synchronous: JournalSync = "NORMAL") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Autocommit mode: transactions are the explicit BEGIN/COMMIT of each group commit.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._prepare(synchronous)
        except sqlite3.DatabaseError as exc:
            raise JournalError(
                f"the delivery journal {path} cannot be opened ({exc}). Check that the state folder is "
                "writable; if the file is damaged, move it aside to start without the deliveries it held."
            ) from None
        self._writes: list[tuple[str, tuple[Any, ...]]] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._commit_timer: asyncio.Handle | None = None
        self._commit_is_lazy = False
        self._commits_since_checkpoint = 0
        self._checkpoint: asyncio.Future[None] | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._closed = False
        self._share_fsyncs = synchronous == "FULL"

    def _prepare(self, synchronous: JournalSync) -> None:
        prepare_wal_database(self._db, _SCHEMA, SCHEMA_VERSION, synchronous)
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run on a worker thread instead
        self._db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")

    def pending(self) -> list[PendingDelivery]:
        rows = _read_rows(self.path, self._db.execute(_SELECT))
        for unreadable in rows.unreadable:  # the row stays, the others go on
            log.error("%s", unreadable.describe())
        return rows.pending

    async def record(self, deliveries: Sequence[PendingDelivery]) -> None:
        """Journal new deliveries; returns once they are committed (raises JournalError if they cannot be)."""
        if self._closed:
            raise JournalError(
                f"the delivery journal {self.path} is closed: the local EventBridge is stopping"
            )
        texts: dict[int, str] = {}  # the targets of one event share its text
        for delivery in deliveries:
            text = texts.get(id(delivery.event))
            if text is None:
                text = texts[id(delivery.event)] = json.dumps(delivery.event, separators=(",", ":"))
            self._writes.append(
                (
                    _INSERT,
                    (
                        delivery.delivery_id,
                        delivery.rule_arn,
                        delivery.target_id,
                        delivery.target_arn,
                        delivery.dead_letter_queue,
                        text,
                        delivery.ingestion_time,
                        delivery.accepted_at,
                        delivery.attempts,
                        delivery.next_attempt_at,
                    ),
                )
            )
        if self._share_fsyncs:
            await self._commit_soon()
            return
        if self._commit_timer is not None:
            self._commit_timer.cancel()  # this commit takes the queued writes (and their waiters) along
        failure = self._commit()
        if failure is not None:
            raise failure

    def reschedule(
        self, delivery_id: str, attempts: int, next_attempt_at: float, error_code: str, error_message: str
    ) -> None:
        self._lazy(_RESCHEDULE, (attempts, next_attempt_at, error_code, error_message, delivery_id))

    def forget(self, delivery_id: str) -> None:
        self._lazy(_FORGET, (delivery_id,))

    async def flush(self) -> None:
        """Returns once everything written so far is committed."""
        if self._writes and not self._closed:
            await self._commit_soon()

    async def close(self) -> None:
        """Commit what is queued, checkpoint, close. Rows still pending stay for the next start."""
        if self._closed:
            return
        if self._commit_timer is not None:
            self._commit_timer.cancel()
        self._commit()
        self._closed = True
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning(
                "delivery journal %s: final checkpoint failed (%s); the WAL keeps the rows", self.path, exc
            )
        self._db.close()
        if self._checkpointer is not None:
            self._checkpointer.close()

    def _lazy(self, sql: str, parameters: tuple[Any, ...]) -> None:
        if self._closed:
            # Only after shutdown: the row stays as it was, and is resumed (at least once) on the next start.
            log.debug("delivery journal closed; not recorded: %s %s", sql.split()[0], parameters[-1])
            return
        self._writes.append((sql, parameters))
        if self._commit_timer is None:
            self._commit_timer = asyncio.get_running_loop().call_later(LAZY_COMMIT_SECONDS, self._commit)
            self._commit_is_lazy = True

    def _commit_soon(self) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        if self._commit_timer is None or self._commit_is_lazy:
            if self._commit_timer is not None:
                self._commit_timer.cancel()
            # At the end of this turn of the loop: requests handled in the same turn share the commit.
            self._commit_timer = loop.call_soon(self._commit)
            self._commit_is_lazy = False
        return waiter

    def _commit(self) -> JournalError | None:
        """Commit every queued write in one transaction; the failure, if any, also goes to the waiters."""
        self._commit_timer = None
        writes, waiters = self._writes, self._waiters
        self._writes, self._waiters = [], []
        failure: JournalError | None = None
        if writes:
            try:
                self._db.execute("BEGIN")
                for sql, group in itertools.groupby(writes, key=lambda write: write[0]):
                    self._db.executemany(sql, [parameters for _, parameters in group])
                self._db.execute("COMMIT")
            except Exception as exc:
                with contextlib.suppress(sqlite3.Error):
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                failure = JournalError(f"the delivery journal {self.path} could not be written: {exc}")
                log.error("%s (%d change(s) not recorded)", failure, len(writes))
            else:
                self._commits_since_checkpoint += 1
                self._checkpoint_if_due()
        for waiter in waiters:
            if waiter.done():
                continue
            if failure is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(failure)
        return failure

    def _checkpoint_if_due(self) -> None:
        if self._checkpoint is not None or self._commits_since_checkpoint < CHECKPOINT_EVERY_COMMITS:
            return
        self._commits_since_checkpoint = 0
        self._checkpoint = asyncio.get_running_loop().run_in_executor(None, self._run_checkpoint)
        self._checkpoint.add_done_callback(self._checkpointed)

    def _run_checkpoint(self) -> None:
        # A worker thread with its own connection: copying the WAL and fsyncing the database never blocks the
        # event loop, and PASSIVE never waits for (or blocks) the loop's writes.
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if not done.cancelled() and done.exception() is not None:
            log.warning("delivery journal %s: checkpoint failed: %s", self.path, done.exception())


class NullJournal:
    """No journal: pending deliveries live in memory only. For measuring the journal's cost (bench)."""

    durable = False

    def pending(self) -> list[PendingDelivery]:
        return []

    async def record(self, deliveries: Sequence[PendingDelivery]) -> None:
        return None

    def reschedule(
        self, delivery_id: str, attempts: int, next_attempt_at: float, error_code: str, error_message: str
    ) -> None:
        return None

    def forget(self, delivery_id: str) -> None:
        return None

    async def flush(self) -> None:
        return None

    async def close(self) -> None:
        return None
