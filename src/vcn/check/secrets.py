"""Secrets in the open: an output, or a function's environment variable, that holds a secret's value.

Outputs are readable by anyone who may describe the stack, environment variables by anyone who may read the
function's configuration; neither is a place for a key. The template is loaded with local values, so every
secret has a distinct local value (an AppSync API key's value, a NoEcho parameter's) and a leak is that value
appearing in a resolved output or variable, however it got there (`!GetAtt Key.ApiKey`, `!Ref Key`, whose ARN
ends with the key, a `!Sub` around either). A secret written into the template itself is reported too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vcn.check.findings import SECRETS, CheckResults, Finding, counted
from vcn.template import LocalStack
from vcn.template.view import TemplateView

# Connection parameters that hold a credential.
SECRET_PARAMETERS = ("ApiKeyValue", "Password", "ClientSecret")


def check_secrets(stack: LocalStack, view: TemplateView) -> CheckResults:
    results = CheckResults()
    secrets = view.secret_values()
    for place in _readable_places(stack, view):
        what = _secret_in(place.text, secrets)
        if what is not None:
            results.fail(
                Finding(
                    SECRETS,
                    place.where,
                    f"{place.holder} holds the value of {what}: {place.readers} reads it",
                    hint=place.hint,
                )
            )
    for connection in view.logical_ids("AWS::Events::Connection"):
        for where in _written_secrets(view.raw(connection).get("AuthParameters")):
            results.fail(
                Finding(
                    SECRETS,
                    connection,
                    f"AuthParameters {where} is written in the template: whoever reads it has the credential",
                    hint="take it from a NoEcho parameter, a secret, or an attribute (!GetAtt Key.ApiKey)",
                )
            )
    results.examined[SECRETS] = (
        f"{counted(len(stack.outputs), 'output')} and the environment of "
        f"{counted(len(stack.functions), 'function')} against {counted(len(secrets), 'secret value')}"
    )
    return results


@dataclass(frozen=True)
class _ReadablePlace:
    """A resolved value that more people may read than may use the secrets: where it is, who reads it."""

    where: str
    holder: str
    text: str
    readers: str
    hint: str


def _readable_places(stack: LocalStack, view: TemplateView) -> Iterator[_ReadablePlace]:
    for name, text in stack.outputs.items():
        yield _ReadablePlace(
            f"Outputs.{name}",
            "the output",
            text,
            "anyone who may describe the stack",
            "remove the output; whoever needs the secret reads it where it is kept",
        )
    for function in stack.functions:
        for variable, text in function.environment.items():
            yield _ReadablePlace(
                view.describe(function.name),
                f"environment variable {variable}",
                text,
                "anyone who may read the function's configuration",
                "pass a reference (a secret ARN, a parameter name); read it at run time",
            )


def _secret_in(text: str, secrets: Mapping[str, str]) -> str | None:
    """What the first secret in `text` is; the longest first (an API key's ARN holds the key itself)."""
    for value in sorted(secrets, key=len, reverse=True):
        if value in text:
            return secrets[value]
    return None


def _written_secrets(value: Any, path: str = "") -> list[str]:
    """Where credentials are given as plain strings (not a parameter or an attribute of another resource)."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in SECRET_PARAMETERS and isinstance(item, str) and item:
                found.append(where)
            else:
                found.extend(_written_secrets(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_written_secrets(item, f"{path}[{index}]"))
    return found
