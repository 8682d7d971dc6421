"""SAM -> CloudFormation with aws-sam-translator, offline: no AWS session or IAM calls, local code kept.

The translator wants code in S3, so local CodeUri/ContentUri folders are swapped for placeholder S3 locations
before the transform and mapped back afterwards (`code_location`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import TemplateError
from .yaml_loader import load_document

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
PLACEHOLDER_BUCKET = "vcn-local-code"
_ALLOWED_TRANSFORMS = {SAM_TRANSFORM, "AWS::LanguageExtensions"}


class _ManagedPolicyArns(dict[str, str]):
    """Managed policy name -> ARN without asking IAM: every AWS managed policy name maps to its usual ARN."""

    def get(self, name: str, default: Any = None) -> str:
        return f"arn:aws:iam::aws:policy/{name}"


class OfflineManagedPolicyLoader:
    """Stands in for `samtranslator...ManagedPolicyLoader` (which lists policies through the IAM API)."""

    def load(self) -> dict[str, str]:
        return _ManagedPolicyArns()


def transforms_of(template: Mapping[str, Any]) -> list[str]:
    transform = template.get("Transform")
    if transform is None:
        return []
    return [transform] if isinstance(transform, str) else [str(t) for t in transform]


class CodeLocations:
    """Placeholder S3 keys <-> the local folders they stand for."""

    def __init__(self) -> None:
        self._paths: list[str] = []

    def placeholder(self, local_path: str) -> str:
        self._paths.append(local_path)
        return f"s3://{PLACEHOLDER_BUCKET}/{len(self._paths) - 1}"

    def local_path(self, code: Mapping[str, Any]) -> str | None:
        """The local folder behind a translated `Code`/`Content` property (None if not a placeholder)."""
        if code.get("S3Bucket") != PLACEHOLDER_BUCKET:
            return None
        return self._paths[int(str(code.get("S3Key")))]


def _swap_local_uri(props: dict[str, Any], key: str, locations: CodeLocations) -> None:
    value = props.get(key)
    if isinstance(value, str) and not value.startswith("s3://"):
        props[key] = locations.placeholder(value)


def _inline_definition(props: dict[str, Any], base_dir: Path, logical_id: str) -> None:
    """A local DefinitionUri (OpenAPI file) becomes DefinitionBody, as `sam build` does."""
    uri = props.get("DefinitionUri")
    if isinstance(uri, str) and not uri.startswith("s3://") and "DefinitionBody" not in props:
        path = base_dir / uri
        if not path.is_file():
            raise TemplateError(
                f"DefinitionUri file {path} does not exist", resource=logical_id, path=("DefinitionUri",)
            )
        props.pop("DefinitionUri")
        props["DefinitionBody"] = load_document(path)


def translate(
    template: Mapping[str, Any],
    parameter_values: Mapping[str, Any],
    base_dir: Path,
    *,
    region: str,
    pseudo_parameters: Mapping[str, Any],
) -> tuple[dict[str, Any], CodeLocations]:
    """The CloudFormation form of `template` (a copy if it has no SAM transform) and its code locations."""
    locations = CodeLocations()
    document = copy.deepcopy(dict(template))
    transforms = transforms_of(document)
    unknown = [t for t in transforms if t not in _ALLOWED_TRANSFORMS]
    if unknown:
        raise TemplateError(
            f"Transform {', '.join(unknown)} is not supported by the local cloud (only {SAM_TRANSFORM})"
        )
    if SAM_TRANSFORM not in transforms:
        return document, locations
    document["Transform"] = SAM_TRANSFORM
    function_globals = (document.get("Globals") or {}).get("Function")
    if isinstance(function_globals, dict):
        _swap_local_uri(function_globals, "CodeUri", locations)
    for logical_id, resource in (document.get("Resources") or {}).items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
            continue
        props = resource["Properties"]
        rtype = resource.get("Type")
        if rtype == "AWS::Serverless::Function":
            _swap_local_uri(props, "CodeUri", locations)
        elif rtype == "AWS::Serverless::LayerVersion":
            _swap_local_uri(props, "ContentUri", locations)
        elif rtype in ("AWS::Serverless::HttpApi", "AWS::Serverless::Api"):
            _inline_definition(props, base_dir, logical_id)

    # imported here: aws-sam-translator and boto3 take seconds to load, and only SAM templates need them
    import boto3
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    values = {**pseudo_parameters, **parameter_values}
    to_py27_compatible_template(document, values)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    policy_loader = OfflineManagedPolicyLoader()
    # the translator logs every plugin step at INFO; the local cloud's log should not carry that
    logging.getLogger("samtranslator").setLevel(logging.WARNING)
    logging.getLogger("samtranslator.metrics").setLevel(
        logging.ERROR
    )  # "unpublished metrics": nothing to publish
    try:
        translated = translator.translate(
            document, parameter_values=values, get_managed_policy_map=policy_loader.load
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(cause.message for cause in exc.causes)
        raise TemplateError(f"the SAM transform rejected the template: {causes}") from exc
    except ExceptionWithMessage as exc:
        raise TemplateError(f"the SAM transform rejected the template: {exc.message}") from exc
    return undo_mark_unicode_str_in_template(translated), locations
