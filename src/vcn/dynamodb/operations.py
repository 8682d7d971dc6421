"""Which DynamoDB operations exist, which change state (and so are journaled), and which touch items.

The operation names come from botocore's service model, so a request naming anything else is refused the way
DynamoDB refuses it. Reads are recognised by name; every other operation that succeeds is journaled, so an
operation this module does not know about errs on the side of durability.
"""

from __future__ import annotations

import functools
import json
from typing import Any

TARGET_PREFIX = "DynamoDB_20120810."
_READ_PREFIXES = ("Get", "BatchGet", "TransactGet", "Describe", "List", "Query", "Scan")

# Operations whose effect is fully captured by the items they leave behind: a compaction may replace them
# with the current items.
ITEM_OPERATIONS = frozenset(
    {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    }
)
# Operations on table definitions, whose effect does not depend on the items: a compaction keeps them.
TABLE_OPERATIONS = frozenset(
    {
        "CreateTable",
        "UpdateTable",
        "DeleteTable",
        "UpdateTimeToLive",
        "UpdateContinuousBackups",
        "TagResource",
        "UntagResource",
        "UpdateContributorInsights",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
    }
)


@functools.cache
def known_operations() -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("dynamodb")
    return frozenset(model.operation_names)


def operation_of(target: str) -> str | None:
    """`DynamoDB_20120810.PutItem` -> `PutItem`; None when the target is not a DynamoDB operation."""
    if not target.startswith(TARGET_PREFIX):
        return None
    name = target[len(TARGET_PREFIX) :]
    return name if name in known_operations() else None


def _reads_only(statements: list[Any]) -> bool:
    return all(
        isinstance(item, dict) and str(item.get("Statement", "")).lstrip().upper().startswith("SELECT")
        for item in statements
    )


def changes_state(operation: str, body: bytes) -> bool:
    """Whether a successful request of this operation must be journaled to survive a restart."""
    if operation.startswith(_READ_PREFIXES):
        return False
    if operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        # PartiQL SELECTs read; everything else (INSERT, UPDATE, DELETE) writes.
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return True
        if operation == "ExecuteStatement":
            return not _reads_only([request])
        key = "Statements" if operation == "BatchExecuteStatement" else "TransactStatements"
        statements = request.get(key)
        return not (isinstance(statements, list) and _reads_only(statements))
    return True


def compactable(operations: set[str]) -> bool:
    """Whether a journal holding these operations may be rewritten as table operations plus current items
    (backups, restores and imports depend on the items at their time, so their presence forbids it)."""
    return operations <= ITEM_OPERATIONS | TABLE_OPERATIONS
