"""`--env-vars FILE`: environment variables per function, in SAM CLI's format, read and checked once.

The file is `{"<FunctionLogicalId>": {"VAR": "value"}, "Parameters": {"VAR": "value"}}`: `Parameters`
applies to every function, and a function's own entry wins over it. The values win over the template's.
Unlike SAM CLI, which only overrides variables the template declares, a variable the template does not declare
is added: that is how switches for local tests (VALIDATION_FAULT_INJECTION) stay out of the template.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("vcn.local")

EVERY_FUNCTION = "Parameters"
EXAMPLE = '{"ValidationWorkerFunction": {"LOG_LEVEL": "DEBUG"}, "Parameters": {"TZ": "UTC"}}'


class EnvVarsError(ValueError):
    """The file is missing, is not JSON, or is not shaped like SAM's env-vars file; the message says where."""


@dataclass(frozen=True)
class EnvVars:
    """Variables for every function, and for single functions by logical id."""

    every_function: Mapping[str, str] = field(default_factory=dict)
    by_function: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def for_functions(self, names: Iterable[str]) -> dict[str, dict[str, str]]:
        """Per function: its own entry over `Parameters`. Entries naming no function are warned about."""
        names = list(names)
        unknown = sorted(set(self.by_function) - set(names))
        if unknown:
            log.warning(
                "--env-vars: %s %s no function of the template (functions: %s); ignored",
                ", ".join(unknown),
                "names" if len(unknown) == 1 else "name",
                ", ".join(names) or "none",
            )
        return {name: {**self.every_function, **self.by_function.get(name, {})} for name in names}


def read_env_vars(path: Path) -> EnvVars:
    """Parse and check `path`; raises `EnvVarsError` naming the file and the entry at fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EnvVarsError(f"--env-vars {path}: cannot read it ({exc.strerror or exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EnvVarsError(f"--env-vars {path} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise EnvVarsError(f"--env-vars {path} must be a JSON object like {EXAMPLE}")
    variables = {key: _variables(path, key, value) for key, value in document.items()}
    every_function = variables.pop(EVERY_FUNCTION, {})
    return EnvVars(every_function, variables)


def _variables(path: Path, key: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise EnvVarsError(f'--env-vars {path}: "{key}" must map variable names to strings, like {EXAMPLE}')
    for name, item in value.items():
        if not isinstance(item, str):
            raise EnvVarsError(
                f'--env-vars {path}: "{key}"."{name}" is {json.dumps(item)}, not a string; '
                "environment variables are strings, so put the value in quotes"
            )
    return dict(value)
