"""The local DynamoDB's engine: moto's DynamoDB backend behind one lock, with a journal that makes it durable.

moto (an open-source AWS emulator) implements the operations; this module decides what survives a restart:
a successful state-changing request is committed to the journal before its reply is returned, and the
journal is replayed in order when the engine opens. Requests are applied one at a time (moto's models are
not thread-safe), in the order they are journaled, so a replay reproduces the same state.

moto keeps its state in module globals, so one process holds one engine: `open()` resets that state first.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import DynamoDbError
from .fast_replies import install_fast_replies
from .journal import Journal, JournalEntry
from .moto_dispatch import dispatch, install_method_name_cache
from .operations import ITEM_OPERATIONS, TABLE_OPERATIONS, TARGET_PREFIX, changes_state, compactable
from .query_window import engine_request, in_engine, install_query_window, note_write
from .transaction_undo import install_transaction_undo

log = logging.getLogger("vcn.dynamodb")

BATCH_WRITE_LIMIT = 25  # items per BatchWriteItem
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_JSON = "application/x-amz-json-1.0"
# Headers the HTTP server sets itself.
_HOP_BY_HOP = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


def error_reply(status: int, error_type: str, message: str) -> Reply:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{error_type}", "message": message})
    return Reply(status, [("Content-Type", _JSON)], body.encode())


def region_of(authorization: str | None, default: str) -> str:
    """The region a SigV4-signed request was signed for (its credential scope), else `default`."""
    match = _CREDENTIAL_SCOPE.search(authorization or "")
    return match.group(1) if match else default


def _json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:  # also UnicodeDecodeError
        return False


def item_json(attributes: dict[str, Any]) -> dict[str, Any]:
    """moto's item attributes (`Item.to_json()`) with any raw binary value base64-encoded, as on the wire."""
    encoded: dict[str, Any] = json.loads(
        json.dumps(attributes, default=lambda value: base64.b64encode(value).decode("ascii"))
    )
    return encoded


def table_items(table: Any) -> Iterator[Any]:
    """Every item of a moto table, in storage order (moto's own `all_items()` sorts the whole table)."""
    for partition in list(table.items.values()):
        if table.range_key_attr:
            yield from list(partition.values())
        else:
            yield partition


@dataclass
class EngineStats:
    replayed: int = 0
    replay_failures: int = 0
    replay_seconds: float = 0.0
    journaled: int = 0
    journal_failures: int = 0
    compactions: int = 0


class DynamoDbEngine:
    """moto's DynamoDB for one account, durable through `journal`; `default_region` for unsigned requests."""

    def __init__(self, journal: Journal, *, account: str, default_region: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self.journal = journal
        self.account = account
        self.default_region = default_region
        self.stats = EngineStats()
        self._backends = dynamodb_backends[account]
        self._lock = threading.Lock()
        self._compaction_refused = False
        install_query_window()
        install_fast_replies()
        install_transaction_undo(in_engine)
        install_method_name_cache()

    # -- lifecycle ------------------------------------------------------------------------------------------

    def open(self, *, compact_after_entries: int | None = None) -> None:
        """Forget moto's in-memory state and rebuild it from the journal; compact a long journal."""
        with self._lock:
            self._backends.reset()
            started = time.monotonic()
            for entry in self.journal.entries():
                reply = self._apply(entry.region, entry.operation, entry.body)
                note_write()
                self.stats.replayed += 1
                if not reply.ok:
                    # Replays are deterministic; this means moto itself changed between runs.
                    self.stats.replay_failures += 1
                    log.error(
                        "journal entry %d (%s) no longer applies: %s",
                        self.stats.replayed,
                        entry.operation,
                        reply.body[:300].decode(errors="replace"),
                    )
            self.stats.replay_seconds = time.monotonic() - started
        tables = sum(len(backend.tables) for backend in self._region_backends())
        log.info(
            "replayed %d journal entries in %.2f s: %d tables, %d items",
            self.stats.replayed,
            self.stats.replay_seconds,
            tables,
            self.item_count(),
        )
        if compact_after_entries is not None and self.stats.replayed > compact_after_entries:
            self.compact()

    # -- requests -------------------------------------------------------------------------------------------

    def handle(self, region: str, target: str, body: bytes) -> Reply:
        """Apply one request; a successful state change is journaled (and fsync'd) before this returns."""
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target
        writes = changes_state(operation, body)
        ticket = None
        try:
            with self._lock:
                reply = self._apply(region, operation, body)
                if writes:
                    note_write()  # even when refused: a request moto failed half-way may have changed state
                if reply.ok and writes:
                    ticket = self.journal.append(JournalEntry(region, operation, body))
            if ticket is not None:
                self.journal.sync(ticket)  # outside the lock: other requests go on during the fsync
                self.stats.journaled += 1
        except Exception as exc:  # disk full, folder removed: the write must not be acknowledged
            self.stats.journal_failures += 1
            log.exception("could not journal %s; the request is answered with an error", operation)
            return error_reply(
                500,
                "InternalServerError",
                f"the local DynamoDB could not record the write durably ({exc}); retry it",
            )
        return reply

    def call(self, operation: str, request: dict[str, Any], region: str | None = None) -> Any:
        """Issue a request from inside the service (journaled like any other); raises DynamoDbError."""
        reply = self.handle(
            region or self.default_region, TARGET_PREFIX + operation, json.dumps(request).encode()
        )
        if not reply.ok:
            error = reply.json()
            raise DynamoDbError(
                str(error.get("__type", "")).rsplit("#", 1)[-1], str(error.get("message", ""))
            )
        return reply.json()

    def _apply(self, region: str, operation: str, body: bytes) -> Reply:
        request_headers: dict[str, str] = {
            "Content-Type": _JSON,
            "X-Amz-Target": TARGET_PREFIX + operation,
            # moto reads the region from the credential scope and the account from this header.
            "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20200101/{region}/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=local",
            "x-moto-account-id": self.account,
        }
        try:
            with engine_request():
                code, reply_headers, payload = dispatch(request_headers, body)
        except Exception:
            # moto raised: a request it cannot handle. Answered as a client error, so SDKs fail at once
            # instead of retrying a request that can never succeed.
            if not _json_object(body):  # DynamoDB refuses that too, in its own words; nothing to log
                return error_reply(400, "SerializationException", "the request body is not a JSON object")
            log.exception("moto could not handle a %s request", operation)
            return error_reply(
                400,
                "ValidationException",
                f"the local DynamoDB (moto) cannot handle this {operation} request; DynamoDB may accept it. "
                "The local cloud's log has the details; rephrase the request or run it against AWS",
            )
        kept = [
            (name, str(value)) for name, value in reply_headers.items() if name.lower() not in _HOP_BY_HOP
        ]
        return Reply(code, kept, payload)

    # -- state, for the TTL sweeper and compaction ----------------------------------------------------------

    def _region_backends(self) -> list[Any]:
        return list(self._backends.values())

    def tables(self) -> Iterator[tuple[str, Any]]:
        """(region, moto table) for every table; call with the engine locked (see `locked`)."""
        for backend in self._region_backends():
            for table in list(backend.tables.values()):
                yield backend.region_name, table

    def locked(self) -> threading.Lock:
        return self._lock

    def item_count(self) -> int:
        with self._lock:
            return sum(sum(1 for _ in table_items(table)) for _, table in self.tables())

    def compact(self) -> bool:
        """Rewrite the journal as its table operations followed by the current items (in batches)."""
        with self._lock:
            operations = self.journal.operations()
            if not compactable(operations):
                if not self._compaction_refused:
                    self._compaction_refused = True
                    others = sorted(operations - ITEM_OPERATIONS - TABLE_OPERATIONS)
                    log.warning(
                        "the journal is not compacted: it holds %s, whose effect depends on the items at the"
                        " time; it grows until the state folder is reset",
                        ", ".join(others),
                    )
                return False
            started = time.monotonic()
            table_entries = [entry for entry in self.journal.entries() if entry.operation in TABLE_OPERATIONS]
            before = self.journal.count()
            after = self.journal.replace([*table_entries, *self._item_batches()])
            self.stats.compactions += 1
        log.info(
            "journal compacted from %d to %d entries in %.2f s", before, after, time.monotonic() - started
        )
        return True

    def _item_batches(self) -> Iterator[JournalEntry]:
        for region, table in self.tables():
            batch: list[dict[str, Any]] = []
            for item in table_items(table):
                batch.append({"PutRequest": {"Item": item_json(item.to_json()["Attributes"])}})
                if len(batch) == BATCH_WRITE_LIMIT:
                    yield _batch_entry(region, table.name, batch)
                    batch = []
            if batch:
                yield _batch_entry(region, table.name, batch)


def _batch_entry(region: str, table: str, batch: list[dict[str, Any]]) -> JournalEntry:
    body = json.dumps({"RequestItems": {table: batch}}, separators=(",", ":")).encode()
    return JournalEntry(region, "BatchWriteItem", body)
