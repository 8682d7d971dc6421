"""Field validation for values that leave the service: client scalars and channel segments.

EventBridge splices detail values unescaped into InputTransformer strings and AppSync builds channel names
from some of them, so these checks are what keeps a notification body valid JSON and a channel name valid.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

CLIENT_SCALAR = re.compile(r"[A-Za-z0-9._:-]+")
CHANNEL_SEGMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?")
CLIENT_SCALAR_MAX_LENGTH = 128
SHOWN_MAX = 80  # characters of a refused value that an error message quotes back

# Fields whose value becomes a channel segment (see the channel map in docs/ARCHITECTURE.md).
CHANNEL_SEGMENT_FIELDS = frozenset({"market", "modelLine", "plant", "submittedBy", "requestId"})


@dataclass(frozen=True)
class FieldError:
    """One invalid field: where it is (`options[2]`, `items[4].market`) and what is wrong with it."""

    field: str
    problem: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.problem}

    def nested(self, prefix: str) -> FieldError:
        return FieldError(f"{prefix}.{self.field}", self.problem)


class InvalidFields(ValueError):
    """Raised when input fields are missing or malformed; carries every problem found, not just the first."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.problem}" for e in self.errors))

    @classmethod
    def single(cls, field: str, problem: str) -> InvalidFields:
        return cls([FieldError(field, problem)])


def shown(value: object) -> str:
    """`value` as an error message quotes it: its repr, cut to SHOWN_MAX characters with its full length said.

    A refused value can be as large as the request (10 MB through the HTTP API); quoted whole, the 400 would
    be as large, over a Lambda function's 6 MB response limit, and AWS would answer 502 instead."""
    text = repr(value)
    if len(text) <= SHOWN_MAX:
        return text
    return f"{text[:SHOWN_MAX]}... ({len(text):,} characters)"


def is_client_scalar(value: object, max_length: int = CLIENT_SCALAR_MAX_LENGTH) -> bool:
    return isinstance(value, str) and len(value) <= max_length and CLIENT_SCALAR.fullmatch(value) is not None


def is_channel_segment(value: object) -> bool:
    return isinstance(value, str) and CHANNEL_SEGMENT.fullmatch(value) is not None


def client_scalar(field: str, value: Any, max_length: int = CLIENT_SCALAR_MAX_LENGTH) -> str:
    """Return `value` if it is a non-empty string of `[A-Za-z0-9._:-]` up to `max_length` characters."""
    if not isinstance(value, str):
        raise InvalidFields.single(field, f"must be a string, got {_json_type(value)}")
    if not is_client_scalar(value, max_length):
        raise InvalidFields.single(
            field,
            f"must be 1-{max_length} characters of letters, digits, '.', '_', ':' or '-', got {shown(value)}",
        )
    return value


def channel_segment(field: str, value: Any) -> str:
    """Return `value` if it is a valid channel segment: 1-50 of `[A-Za-z0-9-]`, no leading/trailing `-`."""
    if not isinstance(value, str):
        raise InvalidFields.single(field, f"must be a string, got {_json_type(value)}")
    if not is_channel_segment(value):
        raise InvalidFields.single(
            field,
            "must be 1-50 letters, digits or '-' and must not start or end with '-' "
            f"(it becomes a channel segment), got {shown(value)}",
        )
    return value


def one_of(field: str, value: Any, allowed: Collection[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidFields.single(field, f"must be one of {', '.join(sorted(allowed))}, got {shown(value)}")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
