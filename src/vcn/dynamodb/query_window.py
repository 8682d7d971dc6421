"""Fast Query: moto answers it from the window of a partition the page can touch instead of the whole table.

moto's `Table.query` sorts every item of the table on every call (O(n log n) comparisons of its own value
type); for an index it also filters the whole table first. That puts a page of 100 among 10,000 items at
100-200 ms, where DynamoDB finds the page by its keys. This module wraps `Table.query`: for a Query on a
table's partition and sort key, or on a secondary index's (global or local, one attribute per key role), it
takes the partition in moto's order (cached until the next write, per table or index and partition key
value), picks by binary search the items the page can read (`key_order.page_items`) and lets moto's own
`query` run over just those. moto still applies every rule (conditions, Limit, LastEvaluatedKey, the 1 MB
page, filters, projections, a sparse index's missing items), so the answer is the one it would give over the
whole table; any other Query (legacy QueryFilter, multi-attribute keys, values moto cannot order) runs
unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from .index_projection import install_index_projection
from .index_window import index_hash_key, index_order, index_sort_key
from .key_order import KeyOrder, Unsupported, condition_bounds, key_order, page_items, start_position

# A write anywhere makes every cached order stale: moto mutates partitions in place.
_generation = 0
# Only the engine reports its writes, so only the engine's requests may use the cached orders: moto used
# directly in the same process (mock_aws, in tests) writes without telling, and queries moto's own way.
_in_engine: contextvars.ContextVar[bool] = contextvars.ContextVar("vcn_dynamodb_in_engine", default=False)


@contextlib.contextmanager
def engine_request() -> Iterator[None]:
    """Marks a request the engine applies: its Queries may be windowed."""
    token = _in_engine.set(True)
    try:
        yield
    finally:
        _in_engine.reset(token)


def in_engine() -> bool:
    """Whether the request being applied is the engine's."""
    return _in_engine.get()


def note_write() -> None:
    """Called by the engine after every request that changed state."""
    global _generation
    _generation += 1


class _Orders:
    """Partitions in moto's order, built since the last write; keyed by (table, index or None, hash value)."""

    def __init__(self) -> None:
        self.generation = _generation
        self.orders: dict[tuple[int, str | None, Any], KeyOrder | None] = {}

    def get(self, table: Any, index_name: str | None, hash_value: Any) -> KeyOrder | None:
        if self.generation != _generation:
            self.orders.clear()  # the old orders are stale and would only hold memory
            self.generation = _generation
        key = (id(table), index_name, hash_value)
        if key not in self.orders:
            self.orders[key] = _build(table, index_name, hash_value)
        return self.orders[key]


def _build(table: Any, index_name: str | None, hash_value: Any) -> KeyOrder | None:
    if index_name is None:
        partition = table.items.get(hash_value) or {}
        return key_order(list(partition.values()), [table.hash_key_attr, table.range_key_attr])
    return index_order(table, table.get_index(index_name), hash_value)


def _window(table: Any, orders: _Orders, args: dict[str, Any]) -> dict[Any, Any]:
    """`{hash_key: {range_key: item}}` (`{hash_key: item}` without a sort key) holding every item the page
    reads; raises Unsupported when only the whole table gives moto's answer."""
    index_name = args["index_name"]
    if args["filter_kwargs"]:
        raise Unsupported("QueryFilter")
    hash_conditions = args["hash_key_conditions"] or []
    range_conditions = args["range_key_conditions"] or []
    if index_name is None:
        if not table.range_key_attr or args["hash_key"] is None:
            raise Unsupported("a table without a sort key")
        hash_name, sort_name, hash_value = table.hash_key_attr, table.range_key_attr, args["hash_key"]
    else:
        index = {index.name: index for index in table.all_indexes()}.get(index_name)
        if index is None or len(hash_conditions) != 1:
            raise Unsupported("an unknown index or a multi-attribute key")  # moto words the error
        hash_name, sort_name = index_hash_key(index), index_sort_key(index)
        hash_value = hash_conditions[0][1]
    if any(name != hash_name for name, _ in hash_conditions) or len(range_conditions) > 1:
        raise Unsupported("a multi-attribute key")
    if any(name != sort_name for name, *_ in range_conditions):
        raise Unsupported("a key condition on another attribute")
    if args["range_comparison"] is not None and sort_name is None:
        raise Unsupported("a sort key condition on an index without one")  # moto refuses it
    order = orders.get(table, index_name, hash_value)
    if order is None:
        raise Unsupported("values moto cannot order")
    if not order.items:
        return {}
    bounds = condition_bounds(order, args["range_comparison"], args["range_objs"])
    start = args["exclusive_start_key"]
    after = start_position(order, start) if start is not None else None
    forward = args["scan_index_forward"] is not False
    window: dict[Any, Any] = defaultdict(dict)
    for item in page_items(order, bounds, after, forward, args["limit"]):
        if table.range_key_attr:
            window[item.hash_key][item.range_key] = item
        else:
            window[item.hash_key] = item
    return window


def install_query_window() -> None:
    """Wrap moto's `Table.query` (and its index projection) once per process."""
    from moto.dynamodb.models.table import Table

    install_index_projection(_in_engine.get)

    original = Table.query
    if getattr(original, "vcn_query_window", False):
        return
    orders = _Orders()

    @functools.wraps(original)
    def query(
        self: Any,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: Any,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: Any = None,
        range_key_conditions: Any = None,
        **filter_kwargs: Any,
    ) -> Any:
        call = (
            hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
            projection_expressions, index_name, consistent_read, filter_expression,
        )  # fmt: skip
        keywords = {
            "hash_key_conditions": hash_key_conditions,
            "range_key_conditions": range_key_conditions,
            **filter_kwargs,
        }
        shape = {
            "hash_key": hash_key,
            "range_comparison": range_comparison,
            "range_objs": range_objs,
            "limit": limit,
            "exclusive_start_key": exclusive_start_key,
            "scan_index_forward": scan_index_forward,
            "index_name": index_name,
            "hash_key_conditions": hash_key_conditions,
            "range_key_conditions": range_key_conditions,
            "filter_kwargs": filter_kwargs,
        }
        if not _in_engine.get():
            return original(self, *call, **keywords)
        try:
            window = _window(self, orders, shape)
        except (Unsupported, TypeError):  # TypeError: values moto cannot compare; it reports the error
            return original(self, *call, **keywords)
        whole = self.items
        self.items = defaultdict(dict, window)
        try:
            return original(self, *call, **keywords)
        finally:
            self.items = whole

    query.vcn_query_window = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
