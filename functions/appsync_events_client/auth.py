"""Authorization strategies: the header object AppSync Events expects for connect, subscribe and publish.

Each strategy turns `(host, body)` into the auth keys of one request. `body` is what the request means
as JSON (`{}` for connect, `{"channel":..}` for subscribe, `{"channel":..,"events":[..]}` for publish);
only IAM uses it, because SigV4 signs `POST https://<http host>/event` with that body.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Protocol

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials

# The content headers Amplify signs for IAM over the socket (HTTP publish signs a plain JSON content type).
IAM_CONTENT_HEADERS = {
    "accept": "application/json, text/javascript",
    "content-encoding": "amz-1.0",
    "content-type": "application/json; charset=UTF-8",
}


class Auth(Protocol):
    """How a client proves who it is to an Event API."""

    def headers(self, url: str, host: str, body: str) -> dict[str, str]:
        """The WebSocket authorization object for a request meaning `body` (signed against `url`)."""
        ...

    def http_headers(self, url: str, host: str, body: str) -> dict[str, str]:
        """The headers of an HTTP publish to `url` carrying exactly `body`."""
        ...


class _HeaderAuth:
    """Modes whose proof does not depend on the body: the same keys go on the socket and on HTTP."""

    def headers(self, url: str, host: str, body: str) -> dict[str, str]:
        raise NotImplementedError

    def http_headers(self, url: str, host: str, body: str) -> dict[str, str]:
        return {**self.headers(url, host, body), "content-type": "application/json"}


class ApiKeyAuth(_HeaderAuth):
    """API_KEY mode: the key goes in `x-api-key`."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError(
                "ApiKeyAuth needs the API key value (`!GetAtt <ApiKey>.ApiKey`), got an empty string"
            )
        self.key = key

    def headers(self, url: str, host: str, body: str) -> dict[str, str]:
        return {"x-api-key": self.key, "host": host}


class TokenAuth(_HeaderAuth):
    """AWS_LAMBDA, OPENID_CONNECT or Cognito modes: the token goes in `Authorization` as is.

    `token` may be a callable, called for every request, so a reconnect picks up a refreshed token.
    """

    def __init__(self, token: str | Callable[[], str]) -> None:
        self._token = token

    def headers(self, url: str, host: str, body: str) -> dict[str, str]:
        token = self._token() if callable(self._token) else self._token
        if not token:
            raise ValueError(
                "TokenAuth has no token: pass the bearer/authorizer token string (or a callable)"
            )
        return {"Authorization": token, "host": host}


class IamAuth:
    """AWS_IAM mode: SigV4 (service `appsync`) over `POST <http url>` with the request's JSON body.

    `credentials` is botocore `Credentials` (refreshable ones are frozen per request) or
    `ReadOnlyCredentials`, e.g. `boto3.Session().get_credentials()`.
    """

    def __init__(self, credentials: Credentials | ReadOnlyCredentials, region: str) -> None:
        self.credentials = credentials
        self.region = region

    def headers(self, url: str, host: str, body: str) -> dict[str, str]:
        return self._sign(url, host, body, IAM_CONTENT_HEADERS)

    def http_headers(self, url: str, host: str, body: str) -> dict[str, str]:
        return self._sign(url, host, body, {"content-type": "application/json"})

    def _sign(self, url: str, host: str, body: str, content_headers: dict[str, str]) -> dict[str, str]:
        creds = self.credentials
        frozen = creds.get_frozen_credentials() if isinstance(creds, Credentials) else creds
        if not frozen.access_key or not frozen.secret_key:
            raise ValueError("IamAuth credentials have no access key / secret key: check the AWS profile")
        # `host` is set before signing so the signed value is exactly the one sent
        request = AWSRequest(
            method="POST", url=url, data=body.encode(), headers={**content_headers, "host": host}
        )
        SigV4Auth(
            Credentials(frozen.access_key, frozen.secret_key, frozen.token), "appsync", self.region
        ).add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}


def canonical_json(value: Any) -> str:
    """Compact JSON as `JSON.stringify` writes it (what Amplify signs and sends)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def header_subprotocol(auth_headers: dict[str, str]) -> str:
    """The `header-<base64url(JSON)>` subprotocol (no padding) that carries connection auth."""
    encoded = base64.urlsafe_b64encode(canonical_json(auth_headers).encode()).decode().rstrip("=")
    return f"header-{encoded}"
