"""Resolve CloudFormation intrinsic functions and conditions to plain values for the local cloud.

Ref/GetAtt of resources are answered by `LocalResources` (local ids and ARNs); the rest is evaluated here.
Resolution is lazy and per property, so a value the local cloud never needs can never fail the load.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .errors import Location
from .local_values import LocalResources
from .model import LocalEndpoints


class _NoValue:
    """`AWS::NoValue`: the property (or list item) is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SUPPORTED_ELSEWHERE = {
    "Fn::ImportValue": "it reads another stack's export and the local cloud runs one stack; use a parameter",
    "Fn::Cidr": "the local cloud has no VPC networking",
    "Fn::Transform": "macros other than the SAM transform do not run locally",
    "Fn::ForEach": "AWS::LanguageExtensions loops are not supported locally",
}


def pseudo_parameters(*, region: str, account: str, stack_name: str) -> dict[str, Any]:
    """The values of AWS::Region, AWS::AccountId, ... for the local stack (AWS::NoValue is handled apart)."""
    stack_id = f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{uuid.UUID(int=0)}"
    return {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


class Resolver:
    """Evaluates intrinsics against parameters, pseudo parameters, mappings, conditions and resources.

    The template's resources are answered by a `LocalResources` the resolver builds over itself: resource
    names and conditions are themselves resolved values.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        endpoints: LocalEndpoints,
        *,
        region: str,
        account: str,
        stack_name: str,
    ) -> None:
        self.endpoints = endpoints
        self.region = region
        self.account = account
        self.stack_name = stack_name
        self._parameters = dict(parameters)
        self._mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self._condition_exprs: Mapping[str, Any] = template.get("Conditions") or {}
        self._conditions: dict[str, bool] = {}
        self._evaluating: list[str] = []
        self._pseudo: dict[str, Any] = {
            **pseudo_parameters(region=region, account=account, stack_name=stack_name),
            "AWS::NoValue": NO_VALUE,
        }
        self._local_rewrites: list[tuple[re.Pattern[str], str]] = []
        self._functions: dict[str, Callable[[Any, Location], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::If": self._if,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Equals": self._equals,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Fn::Not": self._not,
            "Fn::Base64": self._base64,
            "Fn::GetAZs": self._get_azs,
            "Fn::Length": self._length,
            "Fn::ToJsonString": self._to_json_string,
        }
        # Built last: the resource table resolves names and conditions through this resolver.
        self.resources = LocalResources(template.get("Resources") or {}, self)

    def add_local_rewrite(self, pattern: re.Pattern[str], replacement: str) -> None:
        """Strings built by Fn::Sub/Fn::Join that match `pattern` point at a local service: rewrite them."""
        self._local_rewrites.append((pattern, replacement))

    # -- public entry points -------------------------------------------------------------------------------

    def resolve(self, value: Any, at: Location) -> Any:
        """Resolve every intrinsic inside `value`; may return NO_VALUE (the caller drops the property)."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key in self._functions:
                    return self._functions[key](argument, at)  # errors name the property, not the function
                if key in _SUPPORTED_ELSEWHERE:
                    raise at.error(f"{key} cannot be resolved locally: {_SUPPORTED_ELSEWHERE[key]}")
                if key.startswith("Fn::"):
                    raise at.error(f"intrinsic function {key} is not supported by the local cloud")
            resolved: dict[str, Any] = {}
            for key, item in value.items():
                item_value = self.resolve(item, at.child(key))
                if item_value is not NO_VALUE:
                    resolved[key] = item_value
            return resolved
        if isinstance(value, list):
            items = (self.resolve(item, at.child(index)) for index, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        return value

    def resolve_optional(self, value: Any, at: Location) -> Any:
        """Like resolve, but NO_VALUE becomes None."""
        resolved = self.resolve(value, at)
        return None if resolved is NO_VALUE else resolved

    def condition(self, name: str, at: Location) -> bool:
        """The value of a named condition from the Conditions section (evaluated once, cycles reported)."""
        if name in self._conditions:
            return self._conditions[name]
        if name not in self._condition_exprs:
            raise at.error(f"condition {name!r} is not defined in the Conditions section")
        if name in self._evaluating:
            cycle = " -> ".join([*self._evaluating[self._evaluating.index(name) :], name])
            raise at.error(f"conditions refer to each other in a cycle: {cycle}")
        self._evaluating.append(name)
        try:
            result = self._condition_value(self._condition_exprs[name], Location(f"Conditions.{name}"))
        finally:
            self._evaluating.pop()
        self._conditions[name] = result
        return result

    # -- helpers -------------------------------------------------------------------------------------------

    def _condition_value(self, expression: Any, at: Location) -> bool:
        if isinstance(expression, dict) and len(expression) == 1 and "Condition" in expression:
            name = expression["Condition"]
            if not isinstance(name, str):
                raise at.error("Condition must name a condition")
            return self.condition(name, at)
        value = self.resolve(expression, at)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise at.error(f"a condition must be Fn::Equals/And/Or/Not or a Condition, got {expression!r}")

    def _scalar(self, value: Any, at: Location, what: str) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        raise at.error(f"{what} must be a string, got {type(value).__name__} {value!r}")

    def _localize(self, text: str) -> str:
        for pattern, replacement in self._local_rewrites:
            text = pattern.sub(replacement, text)
        return text

    # -- intrinsic functions -------------------------------------------------------------------------------

    def _ref(self, argument: Any, at: Location) -> Any:
        if not isinstance(argument, str):
            raise at.error(f"Ref takes a name, got {argument!r}")
        if argument in self._parameters:
            return self._parameters[argument]
        if argument in self._pseudo:
            return self._pseudo[argument]
        if argument.startswith("AWS::"):
            raise at.error(f"pseudo parameter {argument} is not supported by the local cloud")
        return self.resources.ref(argument, at)

    def _get_att(self, argument: Any, at: Location) -> Any:
        if isinstance(argument, str):
            resource, _, attribute = argument.partition(".")
        elif isinstance(argument, list) and len(argument) == 2:
            resource = argument[0]
            attribute = self.resolve(argument[1], at)
        else:
            raise at.error(f"Fn::GetAtt takes [resource, attribute], got {argument!r}")
        if not isinstance(resource, str) or not isinstance(attribute, str) or not attribute:
            raise at.error(f"Fn::GetAtt takes [resource, attribute], got {argument!r}")
        return self.resources.get_att(resource, attribute, at)

    def _sub(self, argument: Any, at: Location) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text = argument[0]
            for name, expression in argument[1].items():
                variables[name] = self.resolve(expression, at)
        else:
            text = argument
        if not isinstance(text, str):
            raise at.error(f"Fn::Sub takes a string or [string, {{variables}}], got {argument!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # `${!Literal}` is the escape for a literal `${Literal}`
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                resource, _, attribute = name.partition(".")
                value = self.resources.get_att(resource, attribute, at)
            else:
                value = self._ref(name, at)
            return self._scalar(value, at, f"${{{name}}} in Fn::Sub")

        return self._localize(_SUB_VARIABLE.sub(substitute, text))

    def _join(self, argument: Any, at: Location) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise at.error(f"Fn::Join takes [delimiter, [values]], got {argument!r}")
        delimiter = self._scalar(self.resolve(argument[0], at), at, "the Fn::Join delimiter")
        values = self.resolve(argument[1], at)
        if not isinstance(values, list):
            raise at.error(f"Fn::Join needs a list of values, got {values!r}")
        return self._localize(delimiter.join(self._scalar(v, at, "a Fn::Join value") for v in values))

    def _if(self, argument: Any, at: Location) -> Any:
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
            raise at.error(f"Fn::If takes [condition name, value if true, value if false], got {argument!r}")
        chosen = 1 if self.condition(argument[0], at) else 2
        return self.resolve(argument[chosen], at)

    def _select(self, argument: Any, at: Location) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise at.error(f"Fn::Select takes [index, list], got {argument!r}")
        index_value = self.resolve(argument[0], at)
        values = self.resolve(argument[1], at)
        try:
            index = int(index_value)
        except (TypeError, ValueError):
            raise at.error(f"Fn::Select index {index_value!r} is not a number") from None
        if not isinstance(values, list):
            raise at.error(f"Fn::Select needs a list, got {values!r}")
        if not 0 <= index < len(values):
            raise at.error(f"Fn::Select index {index} is out of range for a list of {len(values)}")
        return values[index]

    def _split(self, argument: Any, at: Location) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise at.error(f"Fn::Split takes [delimiter, string], got {argument!r}")
        delimiter = self._scalar(self.resolve(argument[0], at), at, "the Fn::Split delimiter")
        source = self._scalar(self.resolve(argument[1], at), at, "the Fn::Split source")
        if not delimiter:
            raise at.error("Fn::Split delimiter must not be empty")
        return source.split(delimiter)

    def _find_in_map(self, argument: Any, at: Location) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise at.error(f"Fn::FindInMap takes [map, top-level key, second-level key], got {argument!r}")
        names = [self._scalar(self.resolve(a, at), at, "a Fn::FindInMap key") for a in argument[:3]]
        default = (
            argument[3].get("DefaultValue", NO_VALUE)
            if len(argument) == 4 and isinstance(argument[3], dict)
            else NO_VALUE
        )
        current: Any = self._mappings
        for depth, name in enumerate(names):
            if not isinstance(current, Mapping) or name not in current:
                if default is not NO_VALUE:
                    return self.resolve(default, at)
                level = ("mapping", "top-level key", "second-level key")[depth]
                raise at.error(
                    f"Fn::FindInMap: {level} {name!r} is not in Mappings" + (f".{names[0]}" if depth else "")
                )
            current = current[name]
        return self.resolve(current, at)

    def _equals(self, argument: Any, at: Location) -> bool:
        if not isinstance(argument, list) or len(argument) != 2:
            raise at.error(f"Fn::Equals takes two values, got {argument!r}")
        left, right = (self.resolve(a, at) for a in argument)

        def normal(value: Any) -> Any:
            return (
                [normal(v) for v in value]
                if isinstance(value, list)
                else self._scalar(value, at, "Fn::Equals value")
            )

        return bool(normal(left) == normal(right))

    def _conditions_list(self, argument: Any, at: Location, name: str, minimum: int) -> list[bool]:
        if not isinstance(argument, list) or not minimum <= len(argument) <= 10:
            raise at.error(f"{name} takes {minimum} to 10 conditions, got {argument!r}")
        return [self._condition_value(item, at) for item in argument]

    def _and(self, argument: Any, at: Location) -> bool:
        return all(self._conditions_list(argument, at, "Fn::And", 2))

    def _or(self, argument: Any, at: Location) -> bool:
        return any(self._conditions_list(argument, at, "Fn::Or", 2))

    def _not(self, argument: Any, at: Location) -> bool:
        values = self._conditions_list(argument, at, "Fn::Not", 1)
        if len(values) != 1:
            raise at.error("Fn::Not takes exactly one condition")
        return not values[0]

    def _base64(self, argument: Any, at: Location) -> str:
        text = self._scalar(self.resolve(argument, at), at, "the Fn::Base64 value")
        return base64.b64encode(text.encode()).decode()

    def _get_azs(self, argument: Any, at: Location) -> list[str]:
        region = self.resolve(argument, at) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def _length(self, argument: Any, at: Location) -> int:
        values = self.resolve(argument, at)
        if not isinstance(values, list):
            raise at.error(f"Fn::Length needs a list, got {values!r}")
        return len(values)

    def _to_json_string(self, argument: Any, at: Location) -> str:
        return json.dumps(self.resolve(argument, at), separators=(",", ":"))
