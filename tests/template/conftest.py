"""Fixtures for the template tests: template.yaml parsed with CloudFormation tags, and as SAM expands it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"


class CloudFormationLoader(yaml.SafeLoader):
    """YAML loader turning short intrinsic tags (`!Ref`, `!GetAtt`, ...) into their JSON form."""


def _construct_intrinsic(loader: CloudFormationLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # YAML has no fourth kind of node
        raise TypeError(f"!{tag_suffix} on an unknown YAML node {node!r}")
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        # `!GetAtt Api.Dns.Http` splits at the first dot only: the attribute name may contain dots.
        resource, attribute = value.split(".", 1)
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template into plain JSON-shaped data."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return document


def expand_sam(template: dict[str, Any]) -> dict[str, Any]:
    """Run the SAM transform offline as CloudFormation would (code location faked, as cfn-lint does)."""
    sam_template = copy.deepcopy(template)
    sam_template["Globals"]["Function"]["CodeUri"] = "s3://deployment-bucket/functions.zip"
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name="us-east-1"))
    return translator.translate(sam_template, parameter_values={}, get_managed_policy_map=lambda: {})


@pytest.fixture(scope="session")
def load_cfn() -> Callable[[Path], dict[str, Any]]:
    """The CloudFormation-aware loader, for templates other than template.yaml (e.g. sam build's output)."""
    return load_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="session")
def expanded(template: dict[str, Any]) -> dict[str, Any]:
    return expand_sam(template)
