"""An event bus's resource policy as PutPermission and RemovePermission edit it.

The local cloud is one account, so the policy is stored and reported (DescribeEventBus `Policy`) but never
enforced: PutEvents from "another account" does not exist locally.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vcn.eventbridge.errors import not_found, validation_error

POLICY_VERSION = "2012-10-17"


def statement(bus_arn: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """The statement PutPermission adds for Action, Principal, StatementId and an optional Condition."""
    missing = [name for name in ("Action", "Principal", "StatementId") if not request.get(name)]
    if missing:
        # UNCONFIRMED: AWS's wording when neither Policy nor a full statement is given.
        raise validation_error(
            f"Parameter(s) {', '.join(missing)} must be specified, or give a whole Policy instead."
        )
    principal = request["Principal"]
    added: dict[str, Any] = {
        "Sid": request["StatementId"],
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
        "Action": request["Action"],
        "Resource": bus_arn,
    }
    condition = request.get("Condition")
    if condition is not None:
        added["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
    return added


def with_statement(policy: dict[str, Any] | None, added: dict[str, Any]) -> dict[str, Any]:
    """The policy with `added` in place of any statement with the same Sid."""
    statements = [s for s in _statements(policy) if s.get("Sid") != added["Sid"]]
    return {"Version": POLICY_VERSION, "Statement": [*statements, added]}


def without_statement(policy: dict[str, Any] | None, statement_id: str) -> dict[str, Any] | None:
    """The policy without the statement `statement_id` (None when no statement is left)."""
    statements = _statements(policy)
    kept = [s for s in statements if s.get("Sid") != statement_id]
    if len(kept) == len(statements):
        # UNCONFIRMED: AWS's wording.
        raise not_found(f"Statement with the provided id {statement_id} does not exist.")
    return {**(policy or {}), "Statement": kept} if kept else None


def parse_policy(text: str) -> dict[str, Any]:
    """A whole policy given to PutPermission as JSON text."""
    try:
        policy = json.loads(text)
    except ValueError:
        policy = None
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement", []), list):
        raise validation_error(
            "Policy is not a valid policy document: give a JSON object with a Statement list."
        )
    return policy


def _statements(policy: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    statements = (policy or {}).get("Statement", [])
    return [s for s in statements if isinstance(s, dict)] if isinstance(statements, list) else []
