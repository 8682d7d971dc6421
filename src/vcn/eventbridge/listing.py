"""How the List operations answer: name prefix and filters, name order, one page, list-shape members only.

Every EventBridge List operation (ListEventBuses, ListRules, ListArchives, ...) selects the resources whose
name starts with `NamePrefix` and that match the operation's own optional filters, sorts them by name, cuts
the page `Limit`/`NextToken` ask for and describes each item with only the members of its list shape.
Which list the response holds, and its items' shape, come from the operation's output shape in the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

from botocore.model import ListShape

from vcn.eventbridge.pagination import page
from vcn.eventbridge.service_model import events_model, member_names

T = TypeVar("T")


def matching(**wanted: object) -> Callable[[object], bool]:
    """A filter keeping the items whose attributes equal the wanted values; a None value filters nothing."""
    asked = {attribute: value for attribute, value in wanted.items() if value is not None}
    return lambda item: all(getattr(item, attribute) == value for attribute, value in asked.items())


def list_response(
    operation: str,
    named: Mapping[str, T],
    request: Mapping[str, Any],
    describe: Callable[[T], Mapping[str, Any]],
    keep: Callable[[T], bool] = lambda _item: True,
) -> dict[str, Any]:
    """`{"<Items>": [...], "NextToken"?}`: the page of `named` (resources by name) the request asks for."""
    field, members = _listed(operation)
    prefix = request.get("NamePrefix") or ""
    listed = [(name, item) for name, item in sorted(named.items()) if name.startswith(prefix) and keep(item)]
    chosen, more = page(listed, request, lambda pair: pair[0])
    entries = [{k: v for k, v in describe(item).items() if k in members} for _name, item in chosen]
    return {field: entries, **more}


@cache
def _listed(operation: str) -> tuple[str, tuple[str, ...]]:
    """A List operation's list: its member in the response (`Rules`) and the members of one item (`Rule`)."""
    output = events_model().operation_model(operation).output_shape
    assert output is not None, f"{operation} has no output"
    ((field, listed),) = [
        (name, shape) for name, shape in output.members.items() if isinstance(shape, ListShape)
    ]
    return field, member_names(listed.member.name)
