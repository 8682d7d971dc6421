"""PutEvents semantics: request limits, per-entry validation with AWS's codes and messages, and the shape of
the event that rules match and targets receive."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vcn.eventbridge.errors import validation_error

MAX_ENTRIES = 10
TIME_FIELD_BYTES = 14


@dataclass(frozen=True)
class EntryFailure:
    code: str
    message: str

    def as_result(self) -> dict[str, str]:
        return {"ErrorCode": self.code, "ErrorMessage": self.message}


def _required(name: str) -> EntryFailure:
    return EntryFailure(
        "InvalidArgument", f"Parameter {name} is not valid. Reason: {name} is a required argument."
    )


MALFORMED_DETAIL = EntryFailure("MalformedDetail", "Detail is malformed.")


def check_request(entries: Any, max_bytes: int) -> list[Mapping[str, Any]]:
    """Request-level checks that fail the whole call with a 400."""
    if not isinstance(entries, list) or not all(isinstance(entry, Mapping) for entry in entries):
        raise validation_error(
            "1 validation error detected: Value at 'entries' failed to satisfy constraint: "
            "Member must be a list of PutEventsRequestEntry objects"
        )
    if len(entries) < 1:
        raise validation_error(
            "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    if len(entries) > MAX_ENTRIES:
        raise validation_error(
            f"1 validation error detected: Value with {len(entries)} entries at 'entries' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_ENTRIES}"
        )
    if sum(entry_size(entry) for entry in entries) > max_bytes:
        raise validation_error("Total size of the entries in the request is over the limit.")
    return entries


def _utf8_len(value: Any) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else 0


def entry_size(entry: Mapping[str, Any]) -> int:
    """AWS's entry size: 14 bytes for Time + UTF-8 bytes of Source, DetailType, Detail and Resources."""
    size = TIME_FIELD_BYTES if entry.get("Time") is not None else 0
    size += (
        _utf8_len(entry.get("Source")) + _utf8_len(entry.get("DetailType")) + _utf8_len(entry.get("Detail"))
    )
    resources = entry.get("Resources") or []
    if isinstance(resources, list):
        size += sum(_utf8_len(resource) for resource in resources)
    return size


def check_entry(entry: Mapping[str, Any]) -> tuple[dict[str, Any] | None, EntryFailure | None]:
    """The parsed detail of a valid entry, or the failure AWS reports for it."""
    if not _non_empty_string(entry.get("Source")):
        return None, _required("Source")
    if not _non_empty_string(entry.get("DetailType")):
        return None, _required("DetailType")
    detail_text = entry.get("Detail")
    if detail_text is None or detail_text == "":
        return None, _required("Detail")
    if not isinstance(detail_text, str):
        return None, MALFORMED_DETAIL
    try:
        detail = json.loads(detail_text, parse_constant=_reject_constant)
    except ValueError:
        return None, MALFORMED_DETAIL
    if not isinstance(detail, dict):
        return None, MALFORMED_DETAIL
    resources = entry.get("Resources")
    if resources is not None and (
        not isinstance(resources, list) or not all(isinstance(item, str) for item in resources)
    ):
        return None, EntryFailure(
            "InvalidArgument",
            "Parameter Resources is not valid. Reason: Resources must be a list of strings.",
        )
    return detail, None


def _reject_constant(name: str) -> Any:
    # Python accepts NaN and Infinity; JSON (and AWS) do not.
    raise ValueError(f"{name} is not JSON")


def _non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(entry: Mapping[str, Any], now: datetime) -> datetime:
    """The entry's `Time` (epoch seconds on the wire) or the ingestion time."""
    raw = entry.get("Time")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return datetime.fromtimestamp(raw, UTC)
    if isinstance(raw, str):
        try:
            return datetime.fromtimestamp(float(raw), UTC)
        except ValueError:
            try:
                return datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                return now
    return now


def build_event(
    entry: Mapping[str, Any],
    detail: dict[str, Any],
    *,
    account: str,
    region: str,
    now: datetime,
    now_text: str | None = None,
) -> dict[str, Any]:
    """The event as targets receive it, keys in AWS's order; `id` is the EventId PutEvents returns."""
    # `now_text` is `now` already formatted once per request.
    if entry.get("Time") is None and now_text is not None:
        time_text = now_text
    else:
        time_text = format_time(event_time(entry, now))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": time_text,
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": detail,
    }


REQUIRED_TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def parse_test_event(text: Any) -> dict[str, Any]:
    """The `Event` of TestEventPattern: a JSON object with the envelope fields AWS requires."""
    try:
        event = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        event = None
    if not isinstance(event, dict) or any(name not in event for name in REQUIRED_TEST_EVENT_FIELDS):
        raise validation_error("Parameter Event is not valid.")
    return event
