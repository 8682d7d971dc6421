"""`Limit` / `NextToken` pagination of the List operations.

A token names the last item of the page it ends (opaque to clients, base64 of a small JSON document), so
the next page starts right after that item even when items were created or deleted between the calls.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from vcn.eventbridge.errors import validation_error

T = TypeVar("T")

# AWS answers at most 100 items per page when no Limit is given.
DEFAULT_PAGE_SIZE = 100


def page(
    items: Sequence[T], request: Mapping[str, Any], key: Callable[[T], str]
) -> tuple[list[T], dict[str, str]]:
    """The page `request` asks for and `{"NextToken": ...}` when more items follow (else `{}`).

    `items` are in listing order; `key` names an item uniquely (a name, a target id)."""
    keys = [key(item) for item in items]
    start = _start(keys, request.get("NextToken"))
    limit = request.get("Limit") or DEFAULT_PAGE_SIZE
    end = min(len(items), start + limit)
    chosen = list(items[start:end])
    more = {"NextToken": _token(keys[end - 1])} if end < len(items) and end > start else {}
    return chosen, more


def _token(last_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_key}).encode()).decode("ascii")


def _start(keys: list[str], token: Any) -> int:
    if token is None:
        return 0
    try:
        after = json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))["after"]
    except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error):
        # UNCONFIRMED: AWS's wording for a NextToken it did not hand out.
        raise validation_error(
            "The NextToken is not valid; pass the NextToken of the previous page unchanged."
        ) from None
    if after in keys:
        return keys.index(after) + 1
    # The item that ended the previous page is gone: resume at the first key that sorts after it.
    return next((index for index, key in enumerate(keys) if key > after), len(keys))
