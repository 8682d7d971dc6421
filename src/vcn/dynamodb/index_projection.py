"""Fast index projection: the attributes a KEYS_ONLY or INCLUDE index holds, picked without a round trip.

moto projects each item a Query or Scan reads from a secondary index (`SecondaryIndex.project`) by turning
the item into plain JSON, looking every allowed attribute up as a path and serialising the result back into
its own value types: about 70 µs per item of a notification history page, most of a page's cost once the
Query window has cut the partition down to the page. An index's projection only ever names top-level
attributes (the table's and the index's keys, and `NonKeyAttributes`), so the same item is made here by
taking those attributes as they are. moto hands `project` items it has already deep-copied, so sharing their
values with the projected item is safe. Only the engine's requests use it; ALL projections need nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def project(index: Any, item: Any) -> Any:
    """The item as `index` holds it, for a KEYS_ONLY or INCLUDE projection; None for any other."""
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    projection = index.projection or {}
    kind = projection.get("ProjectionType")
    if kind not in ("KEYS_ONLY", "INCLUDE"):
        return None
    names = [*index.table_key_attrs, *(key["AttributeName"] for key in index.schema)]
    if kind == "INCLUDE":
        names.extend(projection.get("NonKeyAttributes", []))
    projected: Any = Item.__new__(Item)  # moto types __new__ as its BaseModel's
    projected.hash_key = item.hash_key
    projected.range_key = item.range_key
    # a part of an item within the size limit: built at once, without the per-attribute size check
    projected.attrs = LimitedSizeDict({name: item.attrs[name] for name in names if name in item.attrs})
    return projected


def install_index_projection(active: Callable[[], bool]) -> None:
    """Wrap moto's `SecondaryIndex.project` once per process; `active` says whether a request may use it."""
    from moto.dynamodb.models.table import SecondaryIndex

    original = SecondaryIndex.project
    if getattr(original, "vcn_index_projection", False):
        return

    @functools.wraps(original)
    def fast_project(self: Any, item: Any) -> Any:
        if active():
            projected = project(self, item)
            if projected is not None:
                return projected
        return original(self, item)

    fast_project.vcn_index_projection = True  # type: ignore[attr-defined]
    SecondaryIndex.project = fast_project  # type: ignore[method-assign]
