"""A read-only view of the translated template for tools that reason about it (`vcn check`).

The services get their own config types from the loader; a tool that checks the template as a whole also needs
what no service runs: every resource by logical id (IAM roles and policies, queue policies, schedules), the
raw properties (to see that `Expires` is `!Ref <parameter>`), the resources a value refers to, which
resources SAM generated from which, the raw outputs, and which values are secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .errors import Location, TemplateError
from .local_values import LocalResources

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
# Attributes whose value is a secret: an AppSync API key's id *is* the key, and so its ARN (`Ref`) holds it.
SECRET_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "AWS::AppSync::ApiKey": ("Ref", "ApiKey", "ApiKeyId", "Arn"),
    "AWS::IAM::AccessKey": ("SecretAccessKey",),
}
_SHORTEST_SECRET = 8  # shorter parameter values ("", "true") would match everywhere


class TemplateView:
    """Every active resource of the translated template, with raw and resolved properties."""

    def __init__(
        self,
        resources: LocalResources,
        order: Sequence[str],
        source_ids: Sequence[str],
        outputs: Mapping[str, Any],
        parameters: Mapping[str, Any],
        parameter_declarations: Mapping[str, Any],
    ) -> None:
        self._resources = resources
        self._order = tuple(order)
        self._source_ids = tuple(source_ids)
        self.outputs = outputs
        self.parameters = parameters
        self._declarations = parameter_declarations

    def logical_ids(self, *resource_types: str) -> list[str]:
        """Active resources in template order, of the given types (all when none is given)."""
        return [lid for lid in self._order if not resource_types or self.type_of(lid) in resource_types]

    def by_arn(self, resource_type: str) -> dict[str, str]:
        """ARN (`Fn::GetAtt <id>.Arn`, resolved) -> logical id, for the active resources of one type."""
        found = {}
        for lid in self.logical_ids(resource_type):
            arn = self.resolve({"Fn::GetAtt": [lid, "Arn"]}, lid)
            if isinstance(arn, str):
                found[arn] = lid
        return found

    def type_of(self, logical_id: str) -> str:
        return self._resources.type_of(logical_id)

    def raw(self, logical_id: str) -> Mapping[str, Any]:
        """Properties as written (after the SAM transform), intrinsics unresolved."""
        return self._resources.properties(logical_id)

    def resolved(self, logical_id: str) -> dict[str, Any]:
        """Properties with every intrinsic resolved for the local cloud; raises TemplateError."""
        return self._resources.resolved_properties(logical_id)

    def resolve(self, value: Any, logical_id: str, *path: str | int) -> Any:
        return self._resources.resolver.resolve_optional(value, Location(logical_id, path))

    def name(self, logical_id: str, prop: str) -> str:
        """The resource's name property resolved, or its logical id when it has none."""
        return self._resources.name(logical_id, prop)

    def source_of(self, logical_id: str) -> str:
        """The template resource a generated one comes from (SAM names them `<source><Suffix>`)."""
        if logical_id in self._source_ids:
            return logical_id
        prefixes = [lid for lid in self._source_ids if logical_id.startswith(lid)]
        return max(prefixes, key=len) if prefixes else logical_id

    def describe(self, logical_id: str) -> str:
        """`Id`, or `Id (generated from Source)` for a resource SAM added."""
        source = self.source_of(logical_id)
        return logical_id if source == logical_id else f"{logical_id} (generated from {source})"

    def parameter_of(self, value: Any) -> str | None:
        """The parameter a raw value is (`{"Ref": "Name"}`), or None."""
        if isinstance(value, Mapping) and set(value) == {"Ref"} and value["Ref"] in self._declarations:
            return str(value["Ref"])
        return None

    def secret_values(self) -> dict[str, str]:
        """Local values of secrets -> what they are: attributes in `SECRET_ATTRIBUTES`, NoEcho parameters."""
        secrets: dict[str, str] = {}
        for lid in self.logical_ids(*SECRET_ATTRIBUTES):
            for attribute in SECRET_ATTRIBUTES[self.type_of(lid)]:
                value = self._attribute_value(lid, attribute)
                if isinstance(value, str) and len(value) >= _SHORTEST_SECRET:
                    what = f"!Ref {lid}" if attribute == "Ref" else f"!GetAtt {lid}.{attribute}"
                    secrets.setdefault(value, what)
        for name, declaration in self._declarations.items():
            flag = declaration.get("NoEcho", "") if isinstance(declaration, Mapping) else ""
            no_echo = str(flag).lower() == "true"
            value = self.parameters.get(name)
            if no_echo and isinstance(value, str) and len(value) >= _SHORTEST_SECRET:
                secrets.setdefault(value, f"parameter {name} (NoEcho)")
        return secrets

    def _attribute_value(self, logical_id: str, attribute: str) -> Any:
        at = Location(logical_id)
        try:
            if attribute == "Ref":
                return self._resources.ref(logical_id, at)
            return self._resources.get_att(logical_id, attribute, at)
        except TemplateError:  # an attribute the local cloud cannot produce holds no local value to find
            return None


def references(value: Any) -> set[str]:
    """Names a raw value refers to with Ref, Fn::GetAtt or Fn::Sub (resources, parameters, pseudo params)."""
    return {name for name, _ in attribute_references(value)}


def attribute_references(value: Any) -> set[tuple[str, str | None]]:
    """(name, attribute) pairs a raw value refers to; the attribute is None for a Ref."""
    found: set[tuple[str, str | None]] = set()
    for key, argument in _intrinsics(value):
        if key == "Ref" and isinstance(argument, str):
            found.add((argument, None))
        elif key == "Fn::GetAtt":
            if isinstance(argument, str):
                name, _, attribute = argument.partition(".")
                found.add((name, attribute or None))
            elif isinstance(argument, list) and argument and isinstance(argument[0], str):
                named = argument[1] if len(argument) > 1 and isinstance(argument[1], str) else None
                found.add((argument[0], named))
        elif key == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            if isinstance(text, str):
                for match in _SUB_VARIABLE.finditer(text):
                    name, _, attribute = match.group(1).strip().partition(".")
                    found.add((name, attribute or None))
    return found


def _intrinsics(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                yield key, item
            yield from _intrinsics(item)
    elif isinstance(value, list):
        for item in value:
            yield from _intrinsics(item)
