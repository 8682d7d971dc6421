"""Routes of the development identity provider on the API port: JWKS, analysts, tokens, console config."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from vcn.identity.analysts import DEMO_ANALYSTS
from vcn.identity.provider import DevIdentityProvider, UnknownUser

ConsoleConfig = Callable[[], dict[str, Any]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers={"cache-control": "no-store"})


def identity_routes(provider: DevIdentityProvider, console_config: ConsoleConfig) -> list[web.RouteDef]:
    """Routes to add to the API server's application (they win over HTTP API routes with the same path)."""

    async def jwks(_: web.Request) -> web.Response:
        return _json(provider.jwks)

    async def openid_configuration(_: web.Request) -> web.Response:
        # Lets OIDC clients (and API Gateway style JWT authorizers) discover the JWKS from the issuer.
        return _json(
            {
                "issuer": provider.issuer,
                "jwks_uri": f"{provider.issuer}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["token"],
            }
        )

    async def analysts(_: web.Request) -> web.Response:
        return _json([analyst.as_json() for analyst in DEMO_ANALYSTS])

    async def token(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text() or "{}")
        except json.JSONDecodeError:
            return _json({"message": 'body must be JSON: {"user": "<analyst id>"}'}, 400)
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, str) or not user:
            return _json({"message": 'body must name a user: {"user": "<analyst id>"}'}, 400)
        try:
            return _json({"token": provider.token_for_analyst(user)})
        except UnknownUser:
            known = ", ".join(analyst.id for analyst in DEMO_ANALYSTS)
            return _json({"message": f"unknown user {user!r}; known analysts: {known}"}, 404)

    async def config(_: web.Request) -> web.Response:
        return _json(console_config())

    return [
        web.get("/.well-known/jwks.json", jwks),
        web.get("/.well-known/openid-configuration", openid_configuration),
        web.get("/dev/analysts", analysts),
        web.post("/dev/token", token),
        web.get("/config.json", config),
    ]
