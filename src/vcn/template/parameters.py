"""Template parameters: defaults plus `--parameter-overrides`, checked the way CloudFormation checks them."""

from __future__ import annotations

import operator
import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from vcn.number_text import is_number

from .errors import TemplateError

ParameterValue = str | list[str]

_OVERRIDE_HINT = "Pass it with --parameter-overrides {name}=<value>"


def parse_parameter_overrides(text: str | list[str] | None) -> dict[str, str]:
    """Parse SAM-style overrides `A=1 B="two words"` or `ParameterKey=A,ParameterValue=1` (string or argv)."""
    if not text:
        return {}
    tokens = shlex.split(text) if isinstance(text, str) else [t for item in text for t in shlex.split(item)]
    overrides: dict[str, str] = {}
    for token in tokens:
        long_form = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", token)
        if long_form:
            overrides[long_form.group(1)] = long_form.group(2)
            continue
        name, sep, value = token.partition("=")
        if not sep or not name:
            raise TemplateError(
                f"parameter override {token!r} is not Key=Value", hint="Write --parameter-overrides Key=Value"
            )
        overrides[name] = value
    return overrides


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check(name: str, declaration: Mapping[str, Any], value: ParameterValue) -> None:
    where = f"Parameters.{name}"
    items = value if isinstance(value, list) else [value]
    ptype = str(declaration.get("Type", "String"))
    if ptype in ("Number", "List<Number>"):
        for item in items:
            if not is_number(item):
                raise TemplateError(
                    f"value {item!r} is not a number", resource=where, hint=_OVERRIDE_HINT.format(name=name)
                )
    allowed = declaration.get("AllowedValues")
    if isinstance(allowed, list):
        allowed_text = [_scalar_text(a) for a in allowed]
        for item in items:
            if item not in allowed_text:
                raise TemplateError(
                    f"value {item!r} is not one of the AllowedValues {allowed_text}",
                    resource=where,
                    hint=_OVERRIDE_HINT.format(name=name),
                )
    pattern = declaration.get("AllowedPattern")
    if isinstance(pattern, str):
        for item in items:
            if not re.fullmatch(pattern, item):
                description = declaration.get("ConstraintDescription") or f"it must match {pattern}"
                raise TemplateError(f"value {item!r} is not allowed: {description}", resource=where)
    for item in items:
        _check_bounds(item, len(item), int, _LENGTH_BOUNDS, declaration, where)
        if ptype in ("Number", "List<Number>"):
            _check_bounds(item, float(item), float, _VALUE_BOUNDS, declaration, where)


# A bound: its declaration key, when a value's measure breaks it, and what the error says.
Bound = tuple[str, Callable[[float, float], bool], str]
_LENGTH_BOUNDS: tuple[Bound, ...] = (
    ("MinLength", operator.lt, "value {item!r} is shorter than MinLength {bound}"),
    ("MaxLength", operator.gt, "value {item!r} is longer than MaxLength {bound}"),
)
_VALUE_BOUNDS: tuple[Bound, ...] = (
    ("MinValue", operator.lt, "value {item} is below MinValue {bound}"),
    ("MaxValue", operator.gt, "value {item} is above MaxValue {bound}"),
)


def _check_bounds(
    item: str,
    measure: float,
    read_bound: Callable[[Any], float],
    bounds: tuple[Bound, ...],
    declaration: Mapping[str, Any],
    where: str,
) -> None:
    for key, breaks, complaint in bounds:
        if key in declaration and breaks(measure, read_bound(declaration[key])):
            raise TemplateError(complaint.format(item=item, bound=declaration[key]), resource=where)


def _given_values(
    declared: Mapping[str, Any], overrides: Mapping[str, str], defaults: Mapping[str, str], notes: list[str]
) -> dict[str, str]:
    """The values given for declared parameters: an override names one (as CloudFormation requires); a
    default (an app profile's local value) for a parameter the template lacks is noted and left out."""
    unknown = [name for name in overrides if name not in declared]
    if unknown:
        names = ", ".join(declared) or "none"
        raise TemplateError(
            f"Parameters: [{', '.join(unknown)}] do not exist in the template; its parameters: {names}",
            hint="Check the names given with --parameter-overrides",
        )
    unused = sorted(set(defaults) - set(declared))
    if unused:
        notes.append(
            f"local parameter values for parameters the template does not declare: {', '.join(unused)}"
        )
    return {**{name: value for name, value in defaults.items() if name in declared}, **overrides}


def resolve_parameters(
    declared: Mapping[str, Any],
    overrides: Mapping[str, str],
    notes: list[str],
    defaults: Mapping[str, str] | None = None,
) -> dict[str, ParameterValue]:
    """Each declared parameter's value: override, else the local default (`defaults`), else Default; lists
    split on commas. An override of a parameter the template does not declare is refused."""
    overrides = _given_values(declared, overrides, defaults or {}, notes)
    values: dict[str, ParameterValue] = {}
    for name, declaration in declared.items():
        if not isinstance(declaration, Mapping):
            raise TemplateError("parameter declaration must be a mapping", resource=f"Parameters.{name}")
        ptype = str(declaration.get("Type", "String"))
        if name in overrides:
            raw = overrides[name]
        elif "Default" in declaration:
            if ptype.startswith("AWS::SSM::Parameter::Value"):
                raise TemplateError(
                    f"the default names SSM parameter {declaration['Default']}; the local cloud has no SSM",
                    resource=f"Parameters.{name}",
                    hint=_OVERRIDE_HINT.format(name=name),
                )
            default = declaration["Default"]
            raw = (
                ",".join(_scalar_text(v) for v in default)
                if isinstance(default, list)
                else _scalar_text(default)
            )
        else:
            raise TemplateError(
                f"parameter {name} has no Default and no value was given",
                hint=_OVERRIDE_HINT.format(name=name),
            )
        is_list = ptype.startswith("List<") or ptype == "CommaDelimitedList" or "<List<" in ptype
        value: ParameterValue = [item.strip() for item in raw.split(",")] if is_list else raw
        _check(name, declaration, value)
        values[name] = value
    return values
