"""Read a CloudFormation/SAM template (YAML or JSON), short-form tags (`!Ref`, `!Sub`, ...) in long form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import TemplateError

_FUNCTION_TAGS = (
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "Length",
    "ToJsonString",
)


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation tags; dates stay strings, as CloudFormation keeps them."""


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node.tag}", node.start_mark)


def _function(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {f"Fn::{name}": _construct_node(loader, node)}

    return construct


def _ref(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _construct_node(loader, node)}


def _condition(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _construct_node(loader, node)}


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_node(loader, node)
    if isinstance(value, str):
        # `!GetAtt Res.Dns.Http` splits at the first dot only: attributes may contain dots
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::GetAtt": value}


def _timestamp_as_string(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


for _name in _FUNCTION_TAGS:
    _TemplateLoader.add_constructor(f"!{_name}", _function(_name))
_TemplateLoader.add_constructor("!Ref", _ref)
_TemplateLoader.add_constructor("!Condition", _condition)
_TemplateLoader.add_constructor("!GetAtt", _get_att)
_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)


def parse_template(text: str, source: str = "<template>") -> dict[str, Any]:
    """Parse template text into plain dicts/lists with intrinsics in long form (`{"Fn::Sub": ...}`)."""
    try:
        document = yaml.load(text, Loader=_TemplateLoader)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{source} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise TemplateError(f"{source} is not a CloudFormation template (top level must be a mapping)")
    if not isinstance(document.get("Resources"), dict) or not document["Resources"]:
        raise TemplateError(f"{source} has no Resources section")
    return document


def load_template_file(path: Path) -> dict[str, Any]:
    """Read and parse a template file; a missing file is a user error with the path in the message."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(
            f"template {path} does not exist", hint="Pass the SAM template with --template"
        ) from None
    except OSError as exc:
        raise TemplateError(f"template {path} cannot be read: {exc}") from exc
    return parse_template(text, str(path))


def load_document(path: Path) -> Any:
    """Any YAML/JSON document that may use CloudFormation tags (e.g. an OpenAPI file behind DefinitionUri)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path} cannot be read as YAML/JSON: {exc}") from exc
