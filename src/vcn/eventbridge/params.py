"""Typed reads of request members with AWS-style validation messages (raw HTTP callers skip botocore)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vcn.eventbridge.errors import validation_error

NAME_PATTERN = re.compile(r"^[\.\-_A-Za-z0-9]+$")


def _member(name: str) -> str:
    return name[:1].lower() + name[1:]


def required_str(request: Mapping[str, Any], name: str) -> str:
    value = request.get(name)
    if value is None:
        raise validation_error(
            f"1 validation error detected: Value null at '{_member(name)}' failed to satisfy constraint: "
            "Member must not be null"
        )
    if not isinstance(value, str):
        raise validation_error(f"Parameter {name} must be a string.")
    return value


def optional_str(request: Mapping[str, Any], name: str) -> str | None:
    value = request.get(name)
    if value is not None and not isinstance(value, str):
        raise validation_error(f"Parameter {name} must be a string.")
    return value


def optional_int(request: Mapping[str, Any], name: str) -> int | None:
    value = request.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise validation_error(f"Parameter {name} must be an integer.")
    return value


def optional_map(request: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = request.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise validation_error(f"Parameter {name} must be an object.")
    return value


def optional_list(request: Mapping[str, Any], name: str) -> list[Any]:
    value = request.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation_error(f"Parameter {name} must be a list.")
    return value


def resource_name(request: Mapping[str, Any], name: str = "Name", max_length: int = 64) -> str:
    """A rule, connection or API destination name: 1-64 of letters, digits, '.', '-' and '_'."""
    value = required_str(request, name)
    if not value or len(value) > max_length or not NAME_PATTERN.match(value):
        raise validation_error(
            f"1 validation error detected: Value '{value}' at '{_member(name)}' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ "
            f"and have length 1 to {max_length}"
        )
    return value
