"""The one error the template loader raises: what in the template the local cloud cannot run, and where."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def format_path(path: Sequence[str | int]) -> str:
    """`("Environment", "Variables", "X")` -> `Environment.Variables.X`; list indexes as `[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class TemplateError(Exception):
    """The template cannot run locally; the message names the resource, the property and the problem."""

    def __init__(
        self, message: str, *, resource: str | None = None, path: Sequence[str | int] = (), hint: str = ""
    ) -> None:
        self.resource = resource
        self.property = format_path(path) or None
        self.problem = message
        self.hint = hint
        where = []
        if resource:
            where.append(
                f"resource {resource}"
                if not resource.startswith(("Outputs.", "Conditions.", "Parameters."))
                else resource
            )
        if self.property:
            where.append(f"property {self.property}")
        text = f"{', '.join(where)}: {message}" if where else message
        if hint:
            text = f"{text}. {hint}"
        super().__init__(text)


@dataclass(frozen=True)
class Location:
    """Where a value sits in the template, for error messages: a resource (or `Outputs.X`) and a path."""

    resource: str | None
    path: tuple[str | int, ...] = ()

    def child(self, key: str | int) -> Location:
        return Location(self.resource, (*self.path, key))

    def error(self, message: str, hint: str = "") -> TemplateError:
        return TemplateError(message, resource=self.resource, path=self.path, hint=hint)
