"""A partition in the order moto's Query reads it, and the slice of it that one page can touch.

moto's Query sorts a partition by a list of attributes (a table's: its partition and sort key; an index's: the
index's keys, then the table's), skips every item up to and including the ExclusiveStartKey, then reads items
in order, keeping those inside the key condition, until Limit are kept or the next item would pass 1 MB; it
answers a LastEvaluatedKey when it stops early, whether or not the item it stopped at matches. `KeyOrder`
holds a partition in that order as plain values; `page_items` finds, by binary search, every item such a page
reads, so moto can be given just those. `Unsupported` means: this Query is left to moto over the whole table.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

# moto refuses an item whose attributes pass 405,000 bytes (its LimitedSizeDict), and ends a page at 1 MB.
MAX_ITEM_SIZE = 405_000
RESULT_SIZE_LIMIT = 1_000_000
_ORDERED_TYPES = frozenset({"S", "N", "B"})
# moto names a key condition's operator as in KeyConditionExpression or as in the legacy KeyConditions.
_OPERATORS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}


class Unsupported(Exception):
    """The window cannot be proven to give moto's answer: moto queries the whole table instead."""


@dataclass(frozen=True)
class KeyOrder:
    """One partition sorted by `attributes` (moto's sort attributes; the second is the key condition's)."""

    attributes: tuple[str, ...]
    types: tuple[str, ...]  # every item's value of attributes[i] has DynamoDB type types[i]
    positions: list[tuple[Any, ...]]  # each item's values of `attributes`, ascending
    sort_values: list[Any]  # each item's value of the key condition's attribute (attributes[1])
    items: list[Any]


def key_order(items: list[Any], attributes: list[str]) -> KeyOrder | None:
    """`items` in moto's order by `attributes`; None when moto could not order them (it answers an error)."""
    names = tuple(attributes)
    if not items:
        return KeyOrder(names, (), [], [], [])
    types: list[str] = []
    columns: list[list[Any]] = []
    for name in names:  # column by column: a build after every write is on the Query's path
        values = [item.attrs[name] for item in items]
        kinds = {value.type for value in values}
        if len(kinds) != 1 or not _ORDERED_TYPES.issuperset(kinds):
            return None
        kind = kinds.pop()
        types.append(kind)
        columns.append(
            [Decimal(value.value) for value in values] if kind == "N" else [v.value for v in values]
        )
    try:
        rows = sorted(zip(zip(*columns, strict=True), items, strict=True), key=itemgetter(0))
    except TypeError:  # one DynamoDB type, two Python types (str and bytes): moto fails on them too
        return None
    positions = [row[0] for row in rows]
    return KeyOrder(names, tuple(types), positions, [p[1] for p in positions], [row[1] for row in rows])


def plain_value(value: Any) -> Any:
    """moto's `cast_value` for a key type (S, N, B); its generic property is most of the cost of an order."""
    return Decimal(value.value) if value.type == "N" else value.value


def condition_bounds(order: KeyOrder, operator: str | None, operands: list[Any]) -> tuple[int, int]:
    """The index range of the items whose sort attribute meets the key condition."""
    if operator is None:
        return 0, len(order.positions)
    values = order.sort_values
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
    raise Unsupported(comparison)


def _after_prefix(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (None: no such string)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


def start_position(order: KeyOrder, start: Any) -> tuple[Any, ...]:
    """An ExclusiveStartKey as a position in `order`, compared the way moto compares it with each item."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if not isinstance(start, dict):
        raise Unsupported("ExclusiveStartKey")
    values = []
    for name, kind in zip(order.attributes, order.types, strict=True):
        value = start.get(name)
        # moto compares type and value; with another type (or none) its answer is its own business.
        if not (isinstance(value, dict) and len(value) == 1 and kind in value):
            raise Unsupported("ExclusiveStartKey")
        try:
            values.append(DynamoType(value).cast_value)
        except Exception as exc:  # a number that is not one: moto fails on it in its own way
            raise Unsupported("ExclusiveStartKey") from exc
    return tuple(values)


def page_items(
    order: KeyOrder, bounds: tuple[int, int], after: tuple[Any, ...] | None, forward: bool, limit: Any
) -> list[Any]:
    """Every item a page reads, in ascending order: those inside `bounds` past the start key, at most
    Limit + 1, and the item after them (moto answers a LastEvaluatedKey when any item follows a full page)."""
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise Unsupported("Limit")
    positions = order.positions
    low, high = bounds
    if after is not None:
        if forward:
            low = max(low, bisect.bisect_right(positions, after))
        else:
            high = min(high, bisect.bisect_left(positions, after))
    if forward:
        high = max(high, low)
        end = high if limit is None else min(high, low + limit + 1)
        if end < high:
            return order.items[low:end]
        # Every matching item is in the window, but moto reads on past the condition's end, and a large
        # item there could still end the page at 1 MB: only a page that may reach 1 MB - one item cannot
        # be answered from the window.
        if high + 1 < len(positions):
            _within_size(order.items[low:high])
        return order.items[low : high + 1]
    low = min(low, high)
    begin = low if limit is None else max(low, high - limit - 1)
    if begin > low:
        return order.items[begin:high]
    if low - 1 > 0:
        _within_size(order.items[low:high])
    return order.items[max(low - 1, 0) : high]


def _within_size(matching: list[Any]) -> None:
    if sum(item.size() for item in matching) > RESULT_SIZE_LIMIT - MAX_ITEM_SIZE:
        raise Unsupported("a page near 1 MB")
