"""What a target receives: the whole event, a constant `Input`, an `InputPath` or an `InputTransformer`.

Validation happens once at PutTargets; rendering happens per delivery and reproduces AWS's substitution rules,
including that spliced values are not escaped and that a JSON template whose result is not valid JSON delivers
nothing at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vcn.eventbridge import strict_json
from vcn.eventbridge.errors import validation_error
from vcn.eventbridge.jsonpath import MISSING, InvalidJsonPath, Step, parse_path, resolve

RULE_ARN_VAR = "aws.events.rule-arn"
RULE_NAME_VAR = "aws.events.rule-name"
INGESTION_TIME_VAR = "aws.events.event.ingestion-time"
EVENT_VAR = "aws.events.event"
EVENT_JSON_VAR = "aws.events.event.json"
PREDEFINED = frozenset({RULE_ARN_VAR, RULE_NAME_VAR, INGESTION_TIME_VAR, EVENT_VAR, EVENT_JSON_VAR})
# These two expand to whole objects and AWS allows them only as the value of a JSON field.
FIELD_VALUE_ONLY = frozenset({EVENT_VAR, EVENT_JSON_VAR})

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


@dataclass(frozen=True)
class Placeholder:
    start: int
    end: int
    name: str
    in_string: bool


@dataclass(frozen=True)
class TargetInput:
    """The validated input configuration of one target."""

    kind: str  # "event" | "constant" | "path" | "transformer"
    constant: str = ""
    path: tuple[Step, ...] = ()
    template: str = ""
    paths: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)
    placeholders: tuple[Placeholder, ...] = ()
    json_shaped: bool = False


@dataclass(frozen=True)
class DeliveryContext:
    """Per-delivery values of the predefined variables."""

    rule_arn: str
    rule_name: str
    ingestion_time: str


@dataclass(frozen=True)
class RenderedInput:
    """The body to deliver, or None with the reason nothing is delivered."""

    body: str | None
    dropped_because: str | None = None
    attempted: str | None = None  # the text that was not JSON, when that is why nothing is delivered


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def find_placeholders(template: str) -> tuple[Placeholder, ...]:
    """Every `<name>` in the template and whether it sits inside a JSON string literal."""
    found: list[Placeholder] = []
    in_string = False
    i = 0
    while i < len(template):
        char = template[i]
        if in_string and char == "\\":
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        elif char == "<":
            match = _PLACEHOLDER.match(template, i)
            if match is not None:
                found.append(Placeholder(i, match.end(), match.group(1), in_string))
                i = match.end()
                continue
        i += 1
    return tuple(found)


def parse_target_input(target_id: str, target: Mapping[str, Any]) -> TargetInput:
    """Validate Input / InputPath / InputTransformer of a PutTargets entry (raises ValidationException)."""
    chosen = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
    if len(chosen) > 1:
        raise validation_error(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    if not chosen:
        return TargetInput("event")
    if chosen[0] == "Input":
        constant = target["Input"]
        try:
            strict_json.parse(constant)
        except (TypeError, ValueError):
            raise validation_error(
                f"Input for target {target_id} is not valid JSON text; pass a JSON value such as "
                '\'{"key": "value"}\' or \'"text"\'.'
            ) from None
        return TargetInput("constant", constant=constant)
    if chosen[0] == "InputPath":
        return TargetInput("path", path=_parse_path(target_id, "InputPath", target["InputPath"]))
    return _parse_transformer(target_id, target["InputTransformer"])


def _parse_path(target_id: str, what: str, path: Any) -> tuple[Step, ...]:
    if not isinstance(path, str):
        raise validation_error(f"{what} for target {target_id} must be a string JSON path such as $.detail.")
    try:
        return parse_path(path)
    except InvalidJsonPath as exc:
        raise validation_error(f"{what} for target {target_id} is not a valid JSON path: {exc}.") from None


def _parse_transformer(target_id: str, transformer: Any) -> TargetInput:
    # Types, the template's length and the number of paths were checked against the service model.
    if not isinstance(transformer, Mapping) or not isinstance(transformer.get("InputTemplate"), str):
        raise validation_error(f"InputTransformer for target {target_id} needs an InputTemplate string.")
    template: str = transformer["InputTemplate"]
    raw_paths = transformer.get("InputPathsMap") or {}
    paths: dict[str, tuple[Step, ...]] = {}
    for name, path in raw_paths.items():
        paths[name] = _parse_path(target_id, f"InputPathsMap value {name}", path)
    placeholders = find_placeholders(template)
    for placeholder in placeholders:
        if placeholder.name not in paths and placeholder.name not in PREDEFINED:
            raise validation_error(
                f"InputTemplate for target {target_id} contains invalid placeholder {placeholder.name}."
            )
        if placeholder.name in FIELD_VALUE_ONLY and placeholder.in_string:
            raise validation_error(
                f"InputTemplate for target {target_id} uses <{placeholder.name}> inside a string; "
                "it may only be the value of a JSON field."
            )
    json_shaped = template.lstrip()[:1] in ("{", "[")
    return TargetInput(
        "transformer", template=template, paths=paths, placeholders=placeholders, json_shaped=json_shaped
    )


def render(target_input: TargetInput, event: Mapping[str, Any], context: DeliveryContext) -> RenderedInput:
    """The body a target receives for this event."""
    if target_input.kind == "event":
        return RenderedInput(_compact(event))
    if target_input.kind == "constant":
        return RenderedInput(target_input.constant)
    if target_input.kind == "path":
        value = resolve(target_input.path, event)
        if value is MISSING:
            # UNCONFIRMED what AWS sends for an InputPath that selects nothing; we deliver nothing.
            return RenderedInput(None, "InputPath selects nothing in this event")
        return RenderedInput(_compact(value))
    return _render_template(target_input, event, context)


def _variable(
    target_input: TargetInput, name: str, event: Mapping[str, Any], context: DeliveryContext
) -> Any:
    if name in target_input.paths:
        value = resolve(target_input.paths[name], event)
        # A path that selects nothing becomes the empty string.
        return "" if value is MISSING else value
    if name == RULE_ARN_VAR:
        return context.rule_arn
    if name == RULE_NAME_VAR:
        return context.rule_name
    if name == INGESTION_TIME_VAR:
        return context.ingestion_time
    if name == EVENT_VAR:
        return {
            ("detailType" if key == "detail-type" else key): v for key, v in event.items() if key != "detail"
        }
    return dict(event)


def _render_template(
    target_input: TargetInput, event: Mapping[str, Any], context: DeliveryContext
) -> RenderedInput:
    template = target_input.template
    pieces: list[str] = []
    position = 0
    for placeholder in target_input.placeholders:
        value = _variable(target_input, placeholder.name, event, context)
        pieces.append(template[position : placeholder.start])
        if not placeholder.in_string:
            pieces.append(as_json_value(value))
        elif target_input.json_shaped:
            pieces.append(inside_json_string(value))
        else:
            pieces.append(inside_string(value))
        position = placeholder.end
    pieces.append(template[position:])
    body = "".join(pieces)
    if target_input.json_shaped:
        try:
            strict_json.parse(body)
        except ValueError as exc:
            return RenderedInput(
                None, f"the transformed input is not valid JSON ({exc}): {body[:200]}", attempted=body
            )
    return RenderedInput(body)


def inside_json_string(value: Any) -> str:
    """A value spliced into a string inside a JSON template: unescaped text; objects and lists as raw JSON,
    which breaks the surrounding JSON, so AWS (and we) deliver nothing."""
    if isinstance(value, str):
        return value
    return _compact(value)


def inside_string(value: Any) -> str:
    """A value spliced into a string template: unescaped, objects as `{k:v}`, lists as `[a,b]`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{inside_string(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(inside_string(item) for item in value) + "]"
    return _compact(value)


def as_json_value(value: Any) -> str:
    """A value placed where a JSON value is expected: strings get quotes (unescaped), the rest is JSON."""
    if isinstance(value, str):
        return f'"{value}"'
    return _compact(value)
