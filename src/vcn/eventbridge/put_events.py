"""PutEvents semantics: request limits, validation of every entry with AWS's codes and messages (all of it
before anything is routed), and the shape of the event that rules match and targets receive.

Two kinds of refusal, as AWS's JSON services make them: a member of the wrong wire type (a number where a
string belongs: the service model's validation, before this module runs; a `Time` that is neither epoch
seconds nor an ISO 8601 date-time: here) fails the whole request with 400 SerializationException; a value
AWS judges per entry (a missing Source, a Detail that is not a JSON object, a Time outside what an event can
carry) fails only that entry, in the response.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vcn import arns
from vcn.eventbridge import strict_json
from vcn.eventbridge.errors import EventBridgeError, validation_error

log = logging.getLogger("vcn.eventbridge")

TIME_FIELD_BYTES = 14
# What an event's `time` ("YYYY-MM-DDTHH:MM:SSZ") can hold: years 1 to 9999.
EARLIEST_TIME = datetime(1, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


@dataclass(frozen=True)
class EntryFailure:
    code: str
    message: str
    why: str = ""  # what the local log adds to AWS's terse message

    def as_result(self) -> dict[str, str]:
        return {"ErrorCode": self.code, "ErrorMessage": self.message}


@dataclass(frozen=True)
class ValidEntry:
    """An entry that passed every check: what `build_event` needs, already parsed."""

    source: str
    detail_type: str
    detail: dict[str, Any]
    resources: list[str]
    time: datetime | None  # None: the ingestion time
    event_bus: str  # as the entry names it: a bus name or an event-bus ARN


def _required(name: str) -> EntryFailure:
    return EntryFailure(
        "InvalidArgument", f"Parameter {name} is not valid. Reason: {name} is a required argument."
    )


def _malformed_detail(why: str) -> EntryFailure:
    return EntryFailure("MalformedDetail", "Detail is malformed.", why)


def _serialization_error(message: str) -> EventBridgeError:
    return EventBridgeError("SerializationException", message)


def check_request(entries: list[Mapping[str, Any]], max_bytes: int) -> list[Mapping[str, Any]]:
    """Request-level checks that fail the whole call with a 400, past the service model's (which already
    holds the entries to a list of 1-10 objects whose members have their wire types): a `Time` that is no
    timestamp, and the total size."""
    for position, entry in enumerate(entries, 1):
        raw_time = entry.get("Time")
        if raw_time is not None and _time_value(raw_time) is None:
            raise _serialization_error(
                f"Value {_shown(raw_time)} at 'entries.{position}.member.time' cannot be read as a "
                "timestamp: send epoch seconds (a number) or an ISO 8601 date-time such as "
                "2025-03-04T05:06:07Z."
            )
    if sum(entry_size(entry) for entry in entries) > max_bytes:
        raise validation_error("Total size of the entries in the request is over the limit.")
    return entries


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def _utf8_len(value: Any) -> int:
    return len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else 0


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


def check_entry(entry: Mapping[str, Any], position: int = 1) -> ValidEntry | EntryFailure:
    """The parsed entry, or the failure AWS reports for it. Wire types were checked by `check_request`."""
    source, detail_type, detail_text = entry.get("Source"), entry.get("DetailType"), entry.get("Detail")
    if not source:
        return _required("Source")
    if not detail_type:
        return _required("DetailType")
    if not detail_text:
        return _required("Detail")
    try:
        detail = strict_json.parse(detail_text)
    except strict_json.JsonRefused as exc:
        return _malformed_detail(f"Detail is not valid JSON: {exc.reason}")
    if not isinstance(detail, dict):
        return _malformed_detail(f"Detail holds a JSON {type(detail).__name__}, not an object")
    moment: datetime | None = None
    raw_time = entry.get("Time")
    if raw_time is not None:
        moment = _event_time(raw_time)
        if moment is None:
            # UNCONFIRMED: AWS's answer for a timestamp no event's `time` can hold.
            return EntryFailure(
                "InvalidArgument",
                f"Parameter Time is not valid. Reason: Time must be between {format_time(EARLIEST_TIME)} and "
                f"{format_time(LATEST_TIME)}.",
            )
    return ValidEntry(
        source,
        detail_type,
        detail,
        list(entry.get("Resources") or []),
        moment,
        entry.get("EventBusName") or arns.DEFAULT_BUS,
    )


def log_failure(position: int, failure: EntryFailure) -> None:
    if failure.why:
        log.info("PutEvents entry %d refused (%s): %s", position, failure.code, failure.why)


def _time_value(raw: Any) -> float | datetime | None:
    """Epoch seconds or an aware date-time from a wire `Time`; None when it is neither."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return raw
    if not isinstance(raw, str):
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _event_time(raw: Any) -> datetime | None:
    """The moment a valid wire `Time` names, or None when no event's `time` can hold it."""
    value = _time_value(raw)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if EARLIEST_TIME <= value <= LATEST_TIME else None
    if value is None:
        return None
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if moment <= LATEST_TIME else None


def format_time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    # Not strftime: its %Y does not pad years below 1000 on every platform.
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"


def build_event(entry: ValidEntry, *, account: str, region: str, now_text: str) -> dict[str, Any]:
    """The event as targets receive it, keys in AWS's order; `id` is the EventId PutEvents returns.

    `now_text` is the ingestion time, formatted once per request."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry.detail_type,
        "source": entry.source,
        "account": account,
        "time": now_text if entry.time is None else format_time(entry.time),
        "region": region,
        "resources": entry.resources,
        "detail": entry.detail,
    }


REQUIRED_TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def parse_test_event(text: Any) -> dict[str, Any]:
    """The `Event` of TestEventPattern: a JSON object with the envelope fields AWS requires."""
    try:
        event = strict_json.parse(text) if isinstance(text, str) else None
    except strict_json.JsonRefused:
        event = None
    if not isinstance(event, dict) or any(name not in event for name in REQUIRED_TEST_EVENT_FIELDS):
        raise validation_error("Parameter Event is not valid.")
    return event
