"""Request validation generated from EventBridge's service model, reported as AWS's validation layer does.

One walk over the operation's input shape checks every constraint the model declares (required members,
lengths of strings, lists and maps, patterns, enums, numeric ranges), collects every violation, and raises one
ValidationException before the operation runs:

    2 validation errors detected: Value 'a b' at 'targets.1.member.id' failed to satisfy constraint: Member
    must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; Value null at 'rule' failed to satisfy ...

Paths name members in lower camel case and list items as `<list>.<n>.member` (1-based). A sensitive member's
value is left out (`Value at 'password' ...`). A member of the wrong JSON type is a SerializationException:
the request cannot be read as the model's shape at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from vcn.eventbridge.errors import EventBridgeError, validation_error
from vcn.eventbridge.model_patterns import full_match
from vcn.eventbridge.model_rendering import member_path_name, render
from vcn.eventbridge.service_model import input_shape

NOT_NULL = "Member must not be null"


@dataclass(frozen=True)
class Violation:
    """One failed constraint of one member; the value is printed only when the message is built."""

    path: str
    constraint: str
    shape: Shape
    value: Any

    def clause(self) -> str:
        if self.value is None:
            shown = "Value null"
        elif self.shape.metadata.get("sensitive"):
            shown = "Value"
        else:
            shown = f"Value '{render(self.shape, self.value)}'"
        return f"{shown} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def validation_message(violations: list[Violation]) -> str:
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    # UNCONFIRMED: AWS's order of clauses; here members in model order, a member's constraints length first.
    return f"{count} validation {noun} detected: " + "; ".join(v.clause() for v in violations)


def validate_request(operation: str, request: Mapping[str, Any]) -> None:
    """Raise ValidationException listing every constraint `request` breaks (SerializationException for a
    member of the wrong type); return when the request satisfies the operation's input shape."""
    shape = input_shape(operation)
    if shape is not None:
        check_value(shape, request, "")


def check_value(shape: Shape, value: Any, path: str) -> None:
    """Validate `value` against `shape` (e.g. a merged structure an operation builds); `path` prefixes the
    member paths in the message ("" for a whole request)."""
    found: list[Violation] = []
    _check(shape, value, path, found)
    if found:
        raise validation_error(validation_message(found))


# JSON objects arrive as dicts: checking dict first spares the slower abstract Mapping check.
_OBJECT = (dict, Mapping)


def _check(shape: Shape, value: Any, path: str, found: list[Violation]) -> None:
    if isinstance(shape, StructureShape):
        _structure(shape, _typed(value, _OBJECT, "an object", shape, path), path, found)
    elif isinstance(shape, ListShape):
        _list(shape, _typed(value, list, "a list", shape, path), path, found)
    elif isinstance(shape, MapShape):
        _map(shape, _typed(value, _OBJECT, "an object", shape, path), path, found)
    else:
        _add(found, path, shape, value, _scalar(shape, value, path))


def _add(found: list[Violation], path: str, shape: Shape, value: Any, constraints: list[str]) -> None:
    for constraint in constraints:
        found.append(Violation(path, constraint, shape, value))


def _structure(shape: StructureShape, value: Mapping[str, Any], path: str, found: list[Violation]) -> None:
    for member in _layout(shape):
        item = value.get(member.name)
        if item is None:
            if member.required:
                found.append(Violation(_join(path, member.path_name), NOT_NULL, member.shape, None))
            continue
        if member.plain_string:
            if not isinstance(item, str):
                raise _unreadable(_join(path, member.path_name), "a string", member.shape, item)
            continue
        _check(member.shape, item, _join(path, member.path_name), found)


@dataclass(frozen=True)
class _Member:
    name: str
    path_name: str
    shape: Shape
    required: bool
    plain_string: bool  # a string without constraints: only its JSON type needs checking


_LAYOUTS: dict[str, tuple[_Member, ...]] = {}


def _layout(shape: StructureShape) -> tuple[_Member, ...]:
    """The members of a structure shape, prepared once per shape (PutEvents checks many per second)."""
    layout = _LAYOUTS.get(shape.name)
    if layout is None:
        required = set(shape.required_members)
        layout = _LAYOUTS[shape.name] = tuple(
            _Member(
                name,
                member_path_name(name),
                member,
                name in required,
                isinstance(member, StringShape)
                and not member.enum
                and not {"min", "max", "pattern"} & set(member.metadata),
            )
            for name, member in shape.members.items()
        )
    return layout


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _list(shape: ListShape, value: list[Any], path: str, found: list[Violation]) -> None:
    _add(found, path, shape, value, _size(shape, len(value)))
    for index, item in enumerate(value, start=1):
        item_path = f"{path}.{index}.member"
        if item is None:
            found.append(Violation(item_path, NOT_NULL, shape.member, None))
        else:
            _check(shape.member, item, item_path, found)


def _map(shape: MapShape, value: Mapping[str, Any], path: str, found: list[Violation]) -> None:
    _add(found, path, shape, value, _size(shape, len(value)))
    # AWS reports a map's keys and values as one clause each, listing the constraints they break.
    # UNCONFIRMED: whether the list names only the broken constraints (as here) or all of the shape's.
    key_constraints: dict[str, None] = {}
    value_constraints: dict[str, None] = {}
    for key, item in value.items():
        key_constraints.update(dict.fromkeys(_scalar(shape.key, key, path)))
        if item is None:
            value_constraints[NOT_NULL] = None
        elif isinstance(shape.value, StructureShape | ListShape | MapShape):
            _check(shape.value, item, f"{path}.{key}", found)  # UNCONFIRMED: no such map in EventBridge
        else:
            value_constraints.update(dict.fromkeys(_scalar(shape.value, item, f"{path}.{key}")))
    if key_constraints:
        found.append(Violation(path, _bracketed("Map keys", key_constraints), shape, value))
    if value_constraints:
        found.append(Violation(path, _bracketed("Map value", value_constraints), shape, value))


def _bracketed(what: str, constraints: dict[str, None]) -> str:
    return f"{what} must satisfy constraint: [{', '.join(constraints)}]"


def _scalar(shape: Shape, value: Any, path: str) -> list[str]:
    kind = shape.type_name
    if kind in ("string", "blob"):
        return _string(shape, _typed(value, str, "a string", shape, path))
    if kind in ("integer", "long"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return _number(shape, _typed(value, int, "an integer", shape, path))
    if kind in ("float", "double"):
        return _number(shape, _typed(value, int | float, "a number", shape, path))
    if kind == "boolean":
        _typed(value, bool, "true or false", shape, path)
        return []
    if kind == "timestamp":
        if not _is_timestamp(value):
            raise _unreadable(
                path, "a timestamp (epoch seconds, or ISO 8601 such as 2025-03-04T05:06:07Z)", shape, value
            )
        return []
    return []


def _string(shape: Shape, value: str) -> list[str]:
    metadata = shape.metadata
    broken = _size(shape, _java_length(value)) if "min" in metadata or "max" in metadata else []
    pattern = metadata.get("pattern")
    if pattern is not None and not full_match(pattern)(value):
        broken.append(f"Member must satisfy regular expression pattern: {pattern}")
    enum = shape.enum if isinstance(shape, StringShape) else None
    if enum and value not in enum:
        broken.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
    return broken


def _size(shape: Shape, size: int) -> list[str]:
    return _bounds(shape, "length", size)


def _number(shape: Shape, value: float) -> list[str]:
    return _bounds(shape, "value", value)


def _bounds(shape: Shape, measure: str, amount: float) -> list[str]:
    """The shape's `min`/`max` that `amount` (a length or a value, as `measure` says) breaks."""
    metadata = shape.metadata
    broken = []
    if "min" in metadata and amount < metadata["min"]:
        broken.append(f"Member must have {measure} greater than or equal to {metadata['min']}")
    if "max" in metadata and amount > metadata["max"]:
        broken.append(f"Member must have {measure} less than or equal to {metadata['max']}")
    return broken


def _java_length(value: str) -> int:
    """String length as Java counts it (UTF-16 code units: a character outside the BMP counts twice)."""
    return len(value) if value.isascii() else len(value.encode("utf-16-le")) // 2


def _is_timestamp(value: Any) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    try:
        float(value)
        return True
    except ValueError:
        pass
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "true or false"),
    ((int, float), "a number"),
    (str, "a string"),
    (list, "a list"),
    (Mapping, "an object"),
)


def _typed(value: Any, expected: Any, wanted: str, shape: Shape, path: str) -> Any:
    if isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool):
        return value
    raise _unreadable(path, wanted, shape, value)


def _unreadable(path: str, wanted: str, shape: Shape, value: Any) -> EventBridgeError:
    sent = next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), type(value).__name__)
    where = f"'{path}'" if path else "the request"
    # UNCONFIRMED: AWS's wording; its code for a member of the wrong JSON type is SerializationException.
    return EventBridgeError(
        "SerializationException",
        f"Cannot read {where}: expected {wanted} ({shape.name}) but the request has {sent}.",
    )
