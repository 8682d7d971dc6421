"""Records that travel as JSON objects: a dataclass's fields, each under its camelCase name.

The dataclass declares the fields once; reading a record from validated values and writing it back both
follow that declaration (`model_line` travels as `modelLine`), in the declared order.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def json_name(attribute: str) -> str:
    """The camelCase name a field travels under: `configuration_id` -> `configurationId`."""
    first, *rest = attribute.split("_")
    return first + "".join(word.capitalize() for word in rest)


@functools.cache
def _names(record_type: type[DataclassInstance]) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, json_name(f.name)) for f in dataclasses.fields(record_type))


def from_json_fields(record_type: type[R], values: Mapping[str, Any]) -> R:
    """The record whose fields are `values` under their JSON names (already validated, every one present)."""
    return record_type(**{attribute: values[name] for attribute, name in _names(record_type)})


def json_fields(record: DataclassInstance) -> dict[str, Any]:
    """The record's fields under their JSON names, in declared order."""
    return {name: getattr(record, attribute) for attribute, name in _names(type(record))}
