"""Fast Query on a table's own keys: moto answers it from a window of the partition instead of the table.

moto's `Table.query` sorts every item of the table on every call (O(n log n) comparisons of its own value
type), which puts a page of 100 from a 10,000-item table at about 100 ms. DynamoDB finds the page by its keys.
This module wraps `Table.query`: for a Query on the table's partition and sort key (no index, no legacy
QueryFilter), it picks, by binary search over the partition's sort-key values (cached until the next write),
the items the page can contain - those inside the key condition, after the ExclusiveStartKey, at most
Limit + 1 in the query's direction, and the item after them - and lets moto's own `query` run over just
those. moto still applies
every rule (conditions, Limit, LastEvaluatedKey, the 1 MB page, filters, projections), so the answer is the
one it would give over the whole table; any other Query runs unchanged.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from typing import Any

# A write anywhere makes every cached order stale: moto mutates partitions in place.
_generation = 0


def note_write() -> None:
    """Called by the engine after every request that changed state."""
    global _generation
    _generation += 1


class _Order:
    """The sort-key values of one partition, ascending, and the matching keys into the partition."""

    def __init__(self, partition: dict[Any, Any]) -> None:
        pairs = sorted(((key.cast_value, key) for key in partition), key=lambda pair: pair[0])
        self.values = [value for value, _ in pairs]
        self.keys = [key for _, key in pairs]
        self.generation = _generation


# moto names a key condition's operator as in KeyConditionExpression or as in the legacy KeyConditions.
_OPERATORS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}


def _bounds(order: _Order, operator: str | None, operands: list[Any]) -> tuple[int, int] | None:
    values = order.values
    if operator is None:
        return 0, len(values)
    comparison = _OPERATORS.get(operator, operator.upper())
    first = operands[0].cast_value if operands else None
    if comparison == "EQ":
        return bisect.bisect_left(values, first), bisect.bisect_right(values, first)
    if comparison == "LT":
        return 0, bisect.bisect_left(values, first)
    if comparison == "LE":
        return 0, bisect.bisect_right(values, first)
    if comparison == "GT":
        return bisect.bisect_right(values, first), len(values)
    if comparison == "GE":
        return bisect.bisect_left(values, first), len(values)
    if comparison == "BETWEEN" and len(operands) == 2:
        return bisect.bisect_left(values, first), bisect.bisect_right(values, operands[1].cast_value)
    if comparison == "BEGINS_WITH" and isinstance(first, str):
        end = _after_prefix(first)
        high = len(values) if end is None else bisect.bisect_left(values, end)
        return bisect.bisect_left(values, first), high
    return None


def _after_prefix(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (None: no such string)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


def _window(table: Any, orders: dict[Any, _Order], args: dict[str, Any]) -> dict[Any, Any] | None:
    """`{hash_key: {range_key: item}}` with every item the page can contain; None: query the whole table."""
    hash_key = args["hash_key"]
    if (
        args["index_name"] is not None
        or args["filter_kwargs"]
        or not table.range_key_attr
        or hash_key is None
        or any(name != table.hash_key_attr for name, _ in args["hash_key_conditions"] or [])
        or any(name != table.range_key_attr for name, *_ in args["range_key_conditions"] or [])
    ):
        return None
    partition = table.items.get(hash_key)
    if not partition:
        return {}
    order = orders.get(hash_key)
    if order is None or order.generation != _generation or len(order.keys) != len(partition):
        order = orders[hash_key] = _Order(partition)
    bounds = _bounds(order, args["range_comparison"], args["range_objs"])
    if bounds is None:
        return None
    low, high = bounds
    forward = args["scan_index_forward"] is not False
    start = args["exclusive_start_key"]
    if start and table.range_key_attr in start:
        from moto.dynamodb.models.dynamo_type import DynamoType

        after = DynamoType(start[table.range_key_attr]).cast_value
        if forward:
            low = max(low, bisect.bisect_right(order.values, after))
        else:
            high = min(high, bisect.bisect_left(order.values, after))
    limit = args["limit"]
    bounded = isinstance(limit, int) and limit >= 0
    # One item more than a full page, or, past the condition's end, the next one: moto answers with a
    # LastEvaluatedKey when any item follows a full page, matching or not.
    if forward:
        end = min(high, low + limit + 1) if bounded else high
        high = end + 1 if end == high and high < len(order.keys) else end
    else:
        begin = max(low, high - limit - 1) if bounded else low
        low = begin - 1 if begin == low and low > 0 else begin
    return {hash_key: {key: partition[key] for key in order.keys[low:high] if key in partition}}


def install_query_window() -> None:
    """Wrap moto's `Table.query` once per process."""
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "vcn_query_window", False):
        return
    caches: dict[int, dict[Any, _Order]] = defaultdict(dict)

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
        try:
            window = _window(self, caches[id(self)], shape)
        except TypeError:  # values of different types cannot be ordered: moto reports the error
            window = None
        if window is None:
            return original(self, *call, **keywords)
        whole = self.items
        self.items = defaultdict(dict, window)
        try:
            return original(self, *call, **keywords)
        finally:
            self.items = whole

    query.vcn_query_window = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
