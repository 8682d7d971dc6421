"""Guard patterns: which events a notification rule may turn into a publish body, and which it must reject.

EventBridge splices detail values into a rule's InputTemplate unescaped, so an event from a producer that
skipped this package's builders (`aws events put-events` from a supply system) can break the body: a missing
count leaves `"violationCount":,`, a `"` or `\\` in a value makes the JSON invalid, a `/` in a channel field
moves the notification to another channel. Each notification rule's EventPattern therefore admits only events
whose spliced fields exist with the right kind of value and carry none of those characters; a second rule
per notification group matches exactly the events of the same detail-types that fail such a guard and sends
them to the rejected-notifications queue, so nothing is half delivered and nothing is dropped in silence.
Supply events need no rejecting rule: their notification rule reads only what the supply ingress
(`supply_ingress`) admitted and rebuilt, and the ingress sends what it refuses to that queue itself; their
guard stays as defence in depth.

Both patterns are derived here from the notification contract (`notifications`) and the channel-segment
fields (`fields`); template.yaml holds them as YAML, and a test holds the template to this module
(`python -m vehicle_config.notification_guards` prints them). Not guarded: control characters (a pattern of
one wildcard per character would exceed EventBridge's pattern-size quota), and a list of values that each
pass; the builders in `events` never produce either, and only builders' events reach these rules.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from vehicle_config.fields import CHANNEL_SEGMENT_FIELDS
from vehicle_config.notifications import (
    CHECKED_SUPPLY_SOURCE,
    NOTIFICATIONS,
    PRIORITY,
    REQUEST_ID,
    Notification,
)

# Fields spliced outside quotes: they must be JSON numbers.
COUNT_FIELDS = frozenset({"violationCount", "warningCount"})
# Characters that end or escape the JSON string a value is spliced into, as EventBridge wildcards.
BREAKING_WILDCARDS = ('*"*', "*\\\\*")
# A channel field must also stay one segment.
SEGMENT_WILDCARDS = ("*/*",)

Pattern = dict[str, Any]


def spliced_fields(notification: Notification, *, with_request_id: bool) -> tuple[str, ...]:
    """The detail fields a rule splices into the body: the priority, the notification's, the requestId
    (reply rules); the envelope's `id`, `time` and `detail-type` are EventBridge's own and always safe."""
    return (PRIORITY, *notification.fields, *((REQUEST_ID,) if with_request_id else ()))


def _wildcards(field: str) -> tuple[str, ...]:
    return BREAKING_WILDCARDS + (SEGMENT_WILDCARDS if field in CHANNEL_SEGMENT_FIELDS else ())


def admitted(field: str) -> list[Any]:
    """The match values of a field an InputTemplate can splice safely (every value implies it exists)."""
    if field in COUNT_FIELDS:
        return [{"numeric": [">=", 0]}]
    # The empty wildcard matches only "": an empty value would splice like a missing one. UNCONFIRMED that
    # AWS accepts an empty wildcard pattern; if it does not, the deployment fails loudly, nothing is lost.
    return [{"anything-but": {"wildcard": [*_wildcards(field), ""]}}]


def refused(field: str, *, required: bool = True) -> list[Any]:
    """The match values of a field that break the body or leave it empty: the complement of `admitted` (for
    leaf values)."""
    missing: list[Any] = [{"exists": False}] if required else []
    if field in COUNT_FIELDS:
        # not a number >= 0: a negative number, a string, null or a boolean
        return [*missing, {"numeric": ["<", 0]}, {"prefix": ""}, None, True, False]
    return [*missing, *({"wildcard": wildcard} for wildcard in _wildcards(field)), ""]


def _routing(detail_types: Sequence[str]) -> Pattern:
    sources = {NOTIFICATIONS[detail_type].source for detail_type in detail_types}
    (source,) = sources
    return {"source": [source], "detail-type": list(detail_types)}


def guarded_pattern(detail_types: Sequence[str], *, with_request_id: bool = False) -> Pattern:
    """The EventPattern of a rule that turns `detail_types` (same fields) into notifications: every field
    it splices admitted; `with_request_id` for a rule that answers on the reply channel."""
    notification = _one_shape(detail_types)
    fields = spliced_fields(notification, with_request_id=with_request_id)
    return {**_routing(detail_types), "detail": {field: admitted(field) for field in fields}}


def rejected_pattern(detail_types: Sequence[str]) -> Pattern:
    """The EventPattern matching every event of `detail_types` that a rule routing them cannot splice: a
    required field missing or refused, or a present requestId refused (the reply rule splices it)."""
    notification = _one_shape(detail_types)
    fields = spliced_fields(notification, with_request_id=False)
    refusals = [{field: refused(field)} for field in fields]
    if notification.reply_channel is not None:
        refusals.append({REQUEST_ID: refused(REQUEST_ID, required=False)})
    return {**_routing(detail_types), "detail": {"$or": refusals}}


def notification_groups() -> list[tuple[str, ...]]:
    """Detail-types that share source, fields and channels (one rule routes each group), in catalog order."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for notification in NOTIFICATIONS.values():
        shape = (notification.source, notification.fields, notification.channels, notification.reply_channel)
        groups.setdefault(shape, []).append(notification.detail_type)
    return [tuple(group) for group in groups.values()]


def rejected_groups() -> list[tuple[str, ...]]:
    """The groups that get a rejecting rule: all but those whose events an ingress already checked."""
    return [
        group for group in notification_groups() if NOTIFICATIONS[group[0]].source != CHECKED_SUPPLY_SOURCE
    ]


def _one_shape(detail_types: Sequence[str]) -> Notification:
    """The notification all `detail_types` share; a rule can only route detail-types of one shape."""
    notifications = [NOTIFICATIONS[detail_type] for detail_type in detail_types]
    first = notifications[0]
    for other in notifications[1:]:
        if (other.source, other.fields) != (first.source, first.fields):
            raise ValueError(f"{first.detail_type} and {other.detail_type} splice different fields")
    return first


def main() -> None:
    """Print the patterns as template.yaml holds them (one JSON document per line, flow-style YAML)."""
    for detail_types in notification_groups():
        replies = (False, True) if _one_shape(detail_types).reply_channel else (False,)
        for with_request_id in replies:
            label = "+".join(detail_types) + (" (reply)" if with_request_id else "")
            pattern = guarded_pattern(detail_types, with_request_id=with_request_id)
            sys.stdout.write(f"{label}: {json.dumps(pattern)}\n")
        if detail_types in rejected_groups():
            sys.stdout.write(
                f"{'+'.join(detail_types)} (rejected): {json.dumps(rejected_pattern(detail_types))}\n"
            )


if __name__ == "__main__":
    main()
