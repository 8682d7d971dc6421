"""Authorization of API destination requests from a connection: API key header, Basic, or an OAuth client
credentials token fetched from the AuthorizationEndpoint and cached until it expires."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from vcn.eventbridge import strict_json
from vcn.eventbridge.connections import API_KEY, BASIC, OAUTH
from vcn.eventbridge.model import Connection
from vcn.eventbridge.retry import is_retryable_status

DEFAULT_TOKEN_LIFETIME_SECONDS = 3600.0


class AuthorizationFailed(Exception):
    """The token endpoint did not hand out a token."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float


def basic_credentials(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def parameter_pairs(parameters: Any, kind: str) -> list[tuple[str, str]]:
    """`[{"Key": k, "Value": v}, ...]` of a connection's Header-, QueryString- or BodyParameters."""
    if not isinstance(parameters, Mapping):
        return []
    entries = parameters.get(kind) or []
    return [
        (str(entry["Key"]), str(entry.get("Value", ""))) for entry in entries if isinstance(entry, Mapping)
    ]


class ConnectionAuthorizer:
    """Headers that authorize a request for a connection; OAuth tokens are cached per connection."""

    def __init__(self, expiry_margin_seconds: float, timeout_seconds: float) -> None:
        self._margin = expiry_margin_seconds
        self._timeout = timeout_seconds
        self._tokens: dict[str, _Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.token_requests = 0

    def forget(self, connection: Connection) -> None:
        """Drop a cached token (the endpoint answered 401, so the token is no longer good)."""
        self._tokens.pop(connection.arn, None)

    async def headers(
        self, session: Callable[[], aiohttp.ClientSession], connection: Connection
    ) -> dict[str, str]:
        """The auth header; `session()` gives the HTTP session for a token request, if one is due."""
        if connection.credentials_removed:
            raise AuthorizationFailed(
                f"connection {connection.name} was deauthorized (DeauthorizeConnection removed its "
                "credentials); give it new ones with UpdateConnection",
                retryable=False,
            )
        auth = connection.auth_parameters
        if connection.authorization_type == API_KEY:
            api_key = auth["ApiKeyAuthParameters"]
            return {api_key["ApiKeyName"]: api_key["ApiKeyValue"]}
        if connection.authorization_type == BASIC:
            basic = auth["BasicAuthParameters"]
            return {"Authorization": basic_credentials(basic["Username"], basic["Password"])}
        if connection.authorization_type == OAUTH:
            return {"Authorization": f"Bearer {await self._token(session, connection)}"}
        return {}

    async def _token(self, session: Callable[[], aiohttp.ClientSession], connection: Connection) -> str:
        cached = self._tokens.get(connection.arn)
        if cached is not None and cached.expires_at - self._margin > time.monotonic():
            return cached.value
        lock = self._locks.setdefault(connection.arn, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(connection.arn)
            if cached is not None and cached.expires_at - self._margin > time.monotonic():
                return cached.value
            try:
                token = await self._request_token(session(), connection)
            except AuthorizationFailed as exc:
                connection.authorization_failed(str(exc))
                raise
            self._tokens[connection.arn] = token
            connection.authorized(time.time())
            return token.value

    async def _request_token(self, session: aiohttp.ClientSession, connection: Connection) -> _Token:
        oauth = connection.auth_parameters["OAuthParameters"]
        client = oauth["ClientParameters"]
        extra = oauth.get("OAuthHttpParameters") or {}
        headers = {"Authorization": basic_credentials(client["ClientID"], client["ClientSecret"])}
        headers.update(parameter_pairs(extra, "HeaderParameters"))
        form = {"grant_type": "client_credentials", **dict(parameter_pairs(extra, "BodyParameters"))}
        query = dict(parameter_pairs(extra, "QueryStringParameters"))
        method = oauth["HttpMethod"]
        endpoint = oauth["AuthorizationEndpoint"]
        if method == "GET":
            query = {**form, **query}
        self.token_requests += 1
        try:
            async with session.request(
                method,
                endpoint,
                params=query or None,
                data=None if method == "GET" else form,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                text = await response.text()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise AuthorizationFailed(
                f"OAuth token request to {endpoint} failed: {type(exc).__name__} {exc}", retryable=True
            ) from exc
        if not 200 <= status <= 299:
            raise AuthorizationFailed(
                f"OAuth token endpoint {endpoint} answered {status}: {text[:200]}",
                retryable=is_retryable_status(status),
            )
        try:
            body = strict_json.parse(text)
            access_token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise AuthorizationFailed(
                f"OAuth token endpoint {endpoint} answered without an access_token: {text[:200]}",
                retryable=False,
            ) from None
        lifetime = body.get("expires_in", DEFAULT_TOKEN_LIFETIME_SECONDS)
        try:
            seconds = float(lifetime)
        except (TypeError, ValueError):
            seconds = DEFAULT_TOKEN_LIFETIME_SECONDS
        return _Token(access_token, time.monotonic() + seconds)
