"""How AWS's validation layer prints a request value in `Value '<value>' at '<path>' ...`.

The service holds requests as Java model objects and prints them with their `toString`: a structure as
`ShapeName(member=value, ...)` with every member in model order, lower camel case, `null` when absent
(recorded from PutEvents: `[PutEventsRequestEntry(time=null, source=..., ...)]`); a list as `[a, b]`; a map
as `{k=v, ...}`; strings without quotes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from vcn.number_text import is_number

# UNCONFIRMED: how the service prints a sensitive member nested in a printed structure; this is the AWS SDK
# for Java's redaction, so that no secret reaches an error message or a log.
REDACTED = "*** Sensitive Data Redacted ***"


def member_path_name(member: str) -> str:
    """A member as AWS's validation messages name it: the first letter lower case (`ResourceARN` ->
    `resourceARN`)."""
    return member[:1].lower() + member[1:]


def render(shape: Shape, value: Any) -> str:
    """`value` printed as the service prints the Java object it reads from it."""
    if value is None:
        return "null"
    if shape.metadata.get("sensitive"):
        return REDACTED
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        members = ", ".join(
            f"{member_path_name(name)}={render(member, value.get(name))}"
            for name, member in shape.members.items()
        )
        return f"{shape.name}({members})"
    if isinstance(shape, ListShape) and isinstance(value, list):
        return "[" + ", ".join(render(shape.member, item) for item in value) + "]"
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}={render(shape.value, item)}" for key, item in value.items()) + "}"
    if shape.type_name == "timestamp":
        return _java_date(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and shape.type_name in ("integer", "long") and value.is_integer():
        return str(int(value))
    return str(value)


def _java_date(value: Any) -> str:
    """A timestamp as `java.util.Date.toString()` prints it in UTC (UNCONFIRMED: the service's type)."""
    try:
        moment = (
            datetime.fromtimestamp(float(value), UTC)
            if not isinstance(value, str) or is_number(value)
            else datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        )
    except (ValueError, OverflowError, OSError):
        return str(value)
    return moment.strftime("%a %b %d %H:%M:%S UTC %Y")
