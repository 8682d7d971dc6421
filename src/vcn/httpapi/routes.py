"""Route selection: which HTTP API route (`POST /a/b`, `GET /items/{id}`, `ANY /{proxy+}`, `$default`) serves
a request.

API Gateway picks the most specific route: literal segments beat path variables, path variables beat a greedy
`{proxy+}`, a named method beats `ANY`, and `$default` catches the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vcn.httpapi.config import HttpRoute

_VARIABLE = re.compile(r"^\{([A-Za-z0-9_.-]+)(\+?)\}$")


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


def _match_path(pattern: str, path: str) -> tuple[tuple[int, int, int], dict[str, str]] | None:
    """Return (specificity, parameters) when `path` fits `pattern`, else None."""
    wanted = [segment for segment in pattern.strip("/").split("/") if segment != ""]
    actual = [segment for segment in path.strip("/").split("/") if segment != ""]
    parameters: dict[str, str] = {}
    literals = variables = 0
    for index, segment in enumerate(wanted):
        variable = _VARIABLE.match(segment)
        if variable and variable.group(2) == "+":
            if index != len(wanted) - 1 or len(actual) <= index:
                return None
            parameters[variable.group(1)] = "/".join(actual[index:])
            return (literals, variables, 0), parameters
        if index >= len(actual):
            return None
        if variable:
            parameters[variable.group(1)] = actual[index]
            variables += 1
        elif segment != actual[index]:
            return None
        else:
            literals += 1
    if len(actual) != len(wanted):
        return None
    return (literals, variables, 1), parameters


class RouteTable:
    """Finds the route API Gateway would choose for a method and path."""

    def __init__(self, routes: list[HttpRoute]) -> None:
        self.routes = list(routes)

    def match(self, method: str, path: str) -> RouteMatch | None:
        best: tuple[tuple[int, int, int, int], RouteMatch] | None = None
        fallback: RouteMatch | None = None
        for route in self.routes:
            if route.path == "$default":
                fallback = RouteMatch(route, {})
                continue
            if route.method.upper() not in (method.upper(), "ANY"):
                continue
            found = _match_path(route.path, path)
            if found is None:
                continue
            (literals, variables, not_greedy), parameters = found
            score = (literals, not_greedy, variables, int(route.method.upper() != "ANY"))
            if best is None or score > best[0]:
                best = (score, RouteMatch(route, parameters))
        return best[1] if best else fallback
