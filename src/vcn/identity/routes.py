"""Routes of the development identity provider on the API port: JWKS, demo users, tokens, browser config."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from vcn import json_limits
from vcn.identity.provider import DevIdentityProvider
from vcn.identity.users import DemoUser, find_user

BrowserConfig = Callable[[], dict[str, Any]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers={"cache-control": "no-store"})


def identity_routes(
    provider: DevIdentityProvider, users: Sequence[DemoUser], browser_config: BrowserConfig
) -> list[web.RouteDef]:
    """Routes to add to the API server's application (they win over HTTP API routes with the same path)."""

    async def jwks(_: web.Request) -> web.Response:
        return _json(provider.jwks)

    async def openid_configuration(_: web.Request) -> web.Response:
        # Lets OIDC clients (and API Gateway style JWT authorizers) discover the JWKS from the issuer.
        return _json(
            {
                "issuer": provider.issuer,
                "jwks_uri": provider.jwks_url,
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["token"],
            }
        )

    async def demo_users(_: web.Request) -> web.Response:
        return _json([user.as_json() for user in users])

    async def token(request: web.Request) -> web.Response:
        try:
            body = json_limits.loads(await request.read() or b"{}")
        except json_limits.JsonRefused as exc:
            return _json({"message": f'body must be JSON: {{"user": "<demo user id>"}} ({exc})'}, 400)
        user_id = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user_id, str) or not user_id:
            return _json({"message": 'body must name a user: {"user": "<demo user id>"}'}, 400)
        user = find_user(users, user_id)
        if user is None:
            known = ", ".join(item.id for item in users) or "none"
            return _json({"message": f"unknown user {user_id!r}; known demo users: {known}"}, 404)
        return _json({"token": provider.token_for(user)})

    async def config(_: web.Request) -> web.Response:
        return _json(browser_config())

    return [
        web.get("/.well-known/jwks.json", jwks),
        web.get("/.well-known/openid-configuration", openid_configuration),
        web.get("/dev/users", demo_users),
        web.post("/dev/token", token),
        web.get("/config.json", config),
    ]
