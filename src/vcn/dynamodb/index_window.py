"""The partitions of a secondary index (global or local) as moto's Query reads them.

For a Query with IndexName, moto walks every item of the table: it keeps those whose index partition key
equals the queried value and (when the index has a sort key) that have the index's sort key at all - a
sparse index leaves the others out - and sorts them by the index's keys, then the table's. This module
builds that partition (`index_order`) from one pass over the table, in the same order, so a page can be
found by binary search. Indexes with several attributes per key role are left to moto (`Unsupported`).
"""

from __future__ import annotations

from typing import Any

from .key_order import KeyOrder, Unsupported, key_order, plain_value

_KEY_TYPES = frozenset({"S", "N", "B"})


def index_sort_attributes(table: Any, index: Any) -> list[str]:
    """The attributes moto sorts an index partition by (as `Table.query` derives them)."""
    from moto.dynamodb.models.table import GlobalSecondaryIndex

    hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    ranges = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
    if len(hashes) != 1 or len(ranges) > 1:
        raise Unsupported("a multi-attribute index key")
    if ranges:
        index_range = ranges[0]
    elif isinstance(index, GlobalSecondaryIndex) and table.range_key_attr:
        index_range = table.range_key_attr  # moto orders a GSI without a sort key by the table's
    else:
        index_range = table.hash_key_attr
    # moto's own (private) rule, so the order follows moto's if it changes how it breaks ties
    attributes: list[str] = table._generate_attr_to_sort_by(
        [hashes[0], table.hash_key_attr], [index_range, table.range_key_attr]
    )
    return attributes


def index_hash_key(index: Any) -> str | None:
    """The index's partition key attribute (None: a multi-attribute one)."""
    hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    return hashes[0] if len(hashes) == 1 else None


def index_sort_key(index: Any) -> str | None:
    """The index's sort key attribute (None: it has none)."""
    ranges = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
    return ranges[0] if ranges else None


def index_order(table: Any, index: Any, hash_value: Any) -> KeyOrder | None:
    """The index partition of `hash_value`, in moto's order (None: moto cannot order it either)."""
    if hash_value.type not in _KEY_TYPES:
        raise Unsupported("a partition key value that is not a string, number or binary")
    attributes = index_sort_attributes(table, index)
    hash_name = attributes[0]
    sort_name = index_sort_key(index)
    members = []
    wanted_type, wanted = hash_value.type, hash_value.cast_value
    for partition in table.items.values():
        for item in partition.values() if table.range_key_attr else (partition,):
            attrs = item.attrs
            value = attrs.get(hash_name)
            # moto's DynamoType equality (type, then value), without its generic cast per item
            if value is None or value.type != wanted_type or plain_value(value) != wanted:
                continue
            if sort_name is not None and sort_name not in attrs:
                continue  # not in a sparse index
            members.append(item)
    return key_order(members, attributes)
