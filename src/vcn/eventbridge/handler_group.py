"""A group of control-plane handlers for one kind of resource.

Each handler method names the EventBridge operation it answers with `@answers("CreateArchive")`, next to its
code, and `handlers()` collects them for the operation table: adding an operation is writing its method.
A List operation that only filters on request members is declared with `listing(...)` instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from vcn.eventbridge.listing import list_response, matching
from vcn.eventbridge.operations import Operation
from vcn.eventbridge.resources import Resources

T = TypeVar("T")
HandlerMethod = TypeVar("HandlerMethod", bound=Callable[[Any, Mapping[str, Any]], dict[str, Any]])

_ANSWERS = "_answers_operation"


def answers(operation: str) -> Callable[[HandlerMethod], HandlerMethod]:
    """Marks a method of a `ResourceOperations` group as the handler of `operation` (its model name)."""

    def mark(method: HandlerMethod) -> HandlerMethod:
        setattr(method, _ANSWERS, operation)
        return method

    return mark


class ResourceOperations:
    """The operations that manage one kind of resource among `resources`."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def handlers(self) -> dict[str, Operation]:
        """Every operation this group answers, by name, bound to this group."""
        found: dict[str, Operation] = {}
        for attribute, member in inspect.getmembers(type(self), inspect.isfunction):
            operation = getattr(member, _ANSWERS, None)
            if operation is None:
                continue
            if operation in found:
                raise TypeError(f"{type(self).__name__} answers {operation} twice")
            found[operation] = getattr(self, attribute)
        return found


def listing(
    operation: str,
    named: Callable[[Resources], Mapping[str, T]],
    describe: Callable[[T], Mapping[str, Any]],
    **filters: str,
) -> Callable[[ResourceOperations, Mapping[str, Any]], dict[str, Any]]:
    """The handler of the List `operation`: the resources `named` picks, each shown by `describe`, kept when
    every attribute of `filters` equals the request member it names (a member left out keeps them all)."""

    @answers(operation)
    def handler(group: ResourceOperations, request: Mapping[str, Any]) -> dict[str, Any]:
        keep = matching(**{attribute: request.get(member) for attribute, member in filters.items()})
        return list_response(operation, named(group.resources), request, describe, keep=keep)

    return handler
