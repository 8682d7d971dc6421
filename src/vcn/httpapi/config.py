"""The shape of one HTTP API as the local cloud serves it (what the template loader produces).

Mirrors an API Gateway HTTP API (or a REST API served with the same routing) after intrinsic functions are
resolved: every route carries the JWT authorizer that guards it, or None for an open route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class JwtAuthorizerConfig:
    """`JwtConfiguration` of an authorizer: tokens must be signed by `issuer` and carry one of `audiences`."""

    name: str
    issuer: str
    audiences: tuple[str, ...]
    identity_source: str = "$request.header.Authorization"
    jwks_url: str | None = None  # None -> discover from `<issuer>/.well-known/openid-configuration`


@dataclass(frozen=True)
class HttpRoute:
    """`method path` -> function; `method` is an HTTP verb or `ANY`; `path` is `/a/{b}/{c+}` or `$default`."""

    method: str
    path: str
    function: str  # Lambda function name or ARN
    authorizer: JwtAuthorizerConfig | None = None
    authorization_scopes: tuple[str, ...] = ()
    payload_format_version: str = "2.0"

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class HttpApiConfig:
    """One API: its id (what `Ref` returns), kind, stage, routes and CORS configuration."""

    api_id: str
    kind: Literal["HTTP", "REST"] = "HTTP"
    stage: str = "$default"
    routes: tuple[HttpRoute, ...] = ()
    cors: Mapping[str, Any] | None = None
