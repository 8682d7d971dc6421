"""Request bodies of the configuration API: one configuration to validate, or a batch to queue.

A submission is a configuration plus an optional `requestId` (a caller waiting for the asynchronous reply).
`submittedBy` is never part of a body: it is the caller's token subject.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vehicle_config.fields import FieldError, InvalidFields, channel_segment
from vehicle_config.model import Configuration

MAX_BATCH_SIZE = 500
REQUEST_ID = "requestId"


@dataclass(frozen=True)
class Submission:
    configuration: Configuration
    request_id: str | None = None


@dataclass(frozen=True)
class InvalidItem:
    index: int
    errors: tuple[FieldError, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "errors": [e.to_dict() for e in self.errors]}


class InvalidBatch(ValueError):
    """Some batch items are malformed; lists every one of them by index."""

    def __init__(self, items: list[InvalidItem], size: int) -> None:
        self.items = tuple(items)
        self.size = size
        super().__init__(f"{len(items)} of {size} configurations are invalid")


def parse_submission(body: Any) -> Submission:
    """A configuration object with an optional `requestId`; raise `InvalidFields` naming every bad field."""
    configuration: Configuration | None = None
    errors: list[FieldError] = []
    try:
        configuration = Configuration.from_dict(body, extra_fields=frozenset({REQUEST_ID}))
    except InvalidFields as invalid:
        errors.extend(invalid.errors)
    request_id = None
    if isinstance(body, Mapping) and REQUEST_ID in body:
        try:
            request_id = channel_segment(REQUEST_ID, body[REQUEST_ID])
        except InvalidFields as invalid:
            errors.extend(invalid.errors)
    if errors or configuration is None:
        raise InvalidFields(errors)
    return Submission(configuration, request_id)


def parse_batch(body: Any) -> list[Submission]:
    """`{"configurations": [...]}` with 1..500 submissions; every item is checked before any is accepted."""
    if not isinstance(body, Mapping):
        raise InvalidFields.single("body", 'must be a JSON object like {"configurations": [...]}')
    unknown = sorted(set(body) - {"configurations"})
    if unknown:
        raise InvalidFields(
            FieldError(str(name) or '""', "is not a batch field; remove it") for name in unknown
        )
    items = body.get("configurations")
    if not isinstance(items, list) or not items:
        raise InvalidFields.single("configurations", "must be a non-empty array of configurations")
    if len(items) > MAX_BATCH_SIZE:
        raise InvalidFields.single(
            "configurations", f"has {len(items)} items; split it into batches of at most {MAX_BATCH_SIZE}"
        )
    submissions: list[Submission] = []
    invalid: list[InvalidItem] = []
    for index, item in enumerate(items):
        try:
            submissions.append(parse_submission(item))
        except InvalidFields as error:
            invalid.append(InvalidItem(index, error.errors))
    if invalid:
        raise InvalidBatch(invalid, len(items))
    return submissions
