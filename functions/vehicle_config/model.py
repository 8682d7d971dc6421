"""The configuration model: what an analyst submits for validation, parsed and field-checked from JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vehicle_config.fields import FieldError, InvalidFields, channel_segment, client_scalar, one_of
from vehicle_config.json_fields import from_json_fields, json_fields

PRIORITIES = ("LOW", "NORMAL", "HIGH", "URGENT")
DEFAULT_PRIORITY = "NORMAL"
MAX_OPTIONS = 100

_REQUIRED_SCALARS = ("configurationId", "trim", "powertrain")
_REQUIRED_SEGMENTS = ("market", "modelLine", "plant")
_OPTIONAL = ("options", "priority")
CONFIGURATION_FIELDS = frozenset(_REQUIRED_SCALARS + _REQUIRED_SEGMENTS + _OPTIONAL)


@dataclass(frozen=True)
class Configuration:
    """A vehicle configuration: model line, trim, powertrain and options, for a market, built in a plant."""

    configuration_id: str
    market: str
    model_line: str
    trim: str
    powertrain: str
    plant: str
    options: tuple[str, ...] = ()
    priority: str = DEFAULT_PRIORITY

    @classmethod
    def from_dict(cls, data: Any, *, extra_fields: frozenset[str] = frozenset()) -> Configuration:
        """Parse the JSON shape; raise `InvalidFields` naming every bad field (unknown fields included)."""
        if not isinstance(data, Mapping):
            raise InvalidFields.single("configuration", "must be a JSON object")
        errors: list[FieldError] = []
        values: dict[str, Any] = {}
        for name in sorted(set(data) - CONFIGURATION_FIELDS - extra_fields):
            hint = " (it is taken from your token)" if name == "submittedBy" else ""
            errors.append(FieldError(str(name) or '""', f"is not a configuration field{hint}; remove it"))
        for name in _REQUIRED_SCALARS + _REQUIRED_SEGMENTS:
            if name not in data:
                errors.append(FieldError(name, "is required"))
                continue
            try:
                segment = name in _REQUIRED_SEGMENTS
                values[name] = (
                    channel_segment(name, data[name]) if segment else client_scalar(name, data[name])
                )
            except InvalidFields as invalid:
                errors.extend(invalid.errors)
        try:
            values["priority"] = one_of("priority", data.get("priority", DEFAULT_PRIORITY), PRIORITIES)
        except InvalidFields as invalid:
            errors.extend(invalid.errors)
        values["options"] = _parse_options(data.get("options", []), errors)
        if errors:
            raise InvalidFields(errors)
        return from_json_fields(cls, values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape accepted by `from_dict` (round-trips)."""
        return {**json_fields(self), "options": list(self.options)}


def _parse_options(raw: Any, errors: list[FieldError]) -> tuple[str, ...]:
    if not isinstance(raw, list):
        errors.append(FieldError("options", "must be an array of option codes"))
        return ()
    if len(raw) > MAX_OPTIONS:
        errors.append(FieldError("options", f"has {len(raw)} entries; at most {MAX_OPTIONS} are allowed"))
        return ()
    parsed: list[str] = []
    for index, code in enumerate(raw):
        try:
            parsed.append(client_scalar(f"options[{index}]", code, max_length=32))
        except InvalidFields as invalid:
            errors.extend(invalid.errors)
    return tuple(parsed)
