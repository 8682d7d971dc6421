"""Cheap transactions: a cancelled TransactWriteItems puts back the items it named, not whole tables.

moto's `transact_write_items` deep-copies every table a transaction names before applying it, so that it can
put the copies back if the transaction is cancelled. That is O(table) per transaction: about 44 µs per item
on this machine, 440 ms for a table of 10,000 items, which the history recorder paid for every notification
it recorded (bench/README.md). This module wraps it. Before the transaction it keeps a deep copy of only the
items the transaction names, at the keys moto computes for them; moto then runs with each table standing for
its own copy (the copy is free); and if moto raises (a cancellation, a validation error), those items are put
back as they were. A transaction writes no other state: its operations put, update or delete the items at
their keys, nothing else, and moto raises or cancels before returning. So the tables end exactly as moto's
restore would leave them. A table with a stream (whose records moto's restore also rolls back), or an
operation whose table or key cannot be read here, takes moto's own way; so does moto used outside the engine.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# ids of the tables whose deep copy is the table itself while a transaction runs here
_free_copies: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "vcn_dynamodb_free_copies", default=frozenset()
)


class Unreadable(Exception):
    """A transaction whose tables or keys this module does not read the way moto does."""


class _CopyModule:
    """The `copy` module as moto's DynamoDB backend sees it: the tables in `_free_copies` copy for free."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if id(value) in _free_copies.get():
            return value
        return copy.deepcopy(value, memo)


@dataclass(frozen=True)
class SavedItem:
    """One item a transaction names, as it was before: `item` None where there was none."""

    table: Any
    hash_key: Any
    range_key: Any
    partition_existed: bool
    item: Any

    def restore(self) -> None:
        items = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
            return
        partition = items[self.hash_key]
        if self.item is None:
            partition.pop(self.range_key, None)
        else:
            partition[self.range_key] = self.item
        if not partition and not self.partition_existed:
            del items[self.hash_key]


def _saved_item(backend: Any, operation: Any) -> SavedItem:
    """The item one operation of the transaction names, keyed as moto's `transact_write_items` keys it."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if not isinstance(operation, dict) or len(operation) != 1:
        raise Unreadable("an operation that is not one kind")
    kind, request = next(iter(operation.items()))
    if not isinstance(request, dict):
        raise Unreadable("an operation that is not an object")
    table = backend.tables.get(request.get("TableName"))
    if table is None or table.stream_shard is not None:
        raise Unreadable("an unknown table, or one with a stream")
    key = request.get("Item") if kind == "Put" else request.get("Key")
    if not isinstance(key, dict):
        raise Unreadable("no key")
    try:
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
        hash(hash_key), hash(range_key)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise Unreadable(f"a key moto reads differently: {error}") from error
    existed = hash_key in table.items
    if range_key is None:
        current = table.items.get(hash_key)
    else:
        current = table.items[hash_key].get(range_key) if existed else None
    return SavedItem(table, hash_key, range_key, existed, copy.deepcopy(current))


@contextlib.contextmanager
def _undo_on_failure(saved: list[SavedItem]) -> Iterator[None]:
    token = _free_copies.set(frozenset(id(entry.table) for entry in saved))
    try:
        yield
    except BaseException:
        for entry in saved:  # an item named twice (moto refuses that) was saved twice, the same
            entry.restore()
        raise
    finally:
        _free_copies.reset(token)


def install_transaction_undo(active: Callable[[], bool]) -> None:
    """Wrap moto's `transact_write_items` once per process; `active` says whether a request may use it."""
    import moto.dynamodb.models as models

    backend_class = models.DynamoDBBackend
    original = backend_class.transact_write_items
    if getattr(original, "vcn_transaction_undo", False):
        return
    models.copy = _CopyModule()  # type: ignore[assignment]  # deep copies as before, but for _free_copies

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if not active() or not isinstance(transact_items, list):
            return original(self, transact_items)
        try:
            saved = [_saved_item(self, operation) for operation in transact_items]
        except Unreadable:
            return original(self, transact_items)
        with _undo_on_failure(saved):
            return original(self, transact_items)

    transact_write_items.vcn_transaction_undo = True  # type: ignore[attr-defined]
    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]
