"""Describe responses leave out the members that are not set: AWS omits them rather than answering null."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def set_members(members: Mapping[str, Any]) -> dict[str, Any]:
    """The members whose value is not None, in the order given (the model's order, as AWS answers)."""
    return {member: value for member, value in members.items() if value is not None}
