"""Authorization of connect, subscribe and publish operations against the API's auth modes.

Every operation carries its own authorization object (WebSocket) or headers (HTTP); the modes allowed at each
level come from `ConnectionAuthModes`, the namespace's `PublishAuthModes`/`SubscribeAuthModes`, or the API
defaults. The operation is allowed when any allowed mode accepts it; the accepting mode yields the `identity`
handed to channel handlers.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import jwt
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from vcn.appsync.api_keys import ApiKeyStore
from vcn.appsync.channels import Channel
from vcn.appsync.config import AuthType, EventApiConfig
from vcn.appsync.protocol import unauthorized
from vcn.invoker import FunctionError, FunctionNotFound, LambdaInvoker
from vcn.jwks import JwksCache, JwksUnavailable, http_jwks_source

logger = logging.getLogger("vcn.appsync")

Operation = Literal["EVENT_CONNECT", "EVENT_SUBSCRIBE", "EVENT_PUBLISH"]

_SIGV4_HEADER = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]+)"
)
_SIGV4_MAX_SKEW_SECONDS = 15 * 60
_LAMBDA_CACHE_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class AuthRequest:
    operation: Operation
    headers: Mapping[str, str]  # lower-cased keys: the authorization object or the HTTP request headers
    channel: Channel | None = None
    # Bodies a SigV4 client may have signed (HTTP: the exact bytes; WebSocket: plausible serialisations).
    signed_bodies: Callable[[], list[bytes]] = lambda: [b"{}"]
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class Grant:
    auth_type: AuthType
    identity: dict[str, Any] | None


def normalize_headers(raw: Mapping[str, Any]) -> dict[str, str]:
    """Auth keys arrive in any case; keep scalars only, as strings."""
    return {
        str(k).lower(): str(v)
        for k, v in raw.items()
        if isinstance(v, str | int | float) and not isinstance(v, bool)
    }


class Authorizer:
    def __init__(
        self,
        config: EventApiConfig,
        invoker: LambdaInvoker | None,
        *,
        iam_credentials: Mapping[str, str] | None = None,
        api_keys: ApiKeyStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._api_keys = api_keys or ApiKeyStore.declared(config, clock)
        self._invoker = invoker
        self._iam = dict(iam_credentials or {})
        self._clock = clock
        self._lambda_cache: dict[tuple[str, str, str | None], tuple[float, Grant | None]] = {}
        _check_providers(config, invoker)
        oidc = config.provider("OPENID_CONNECT")
        self._oidc_keys = (
            JwksCache(
                http_jwks_source(
                    oidc.openid_connect.issuer, oidc.openid_connect.jwks_url, timeout_seconds=10
                ),
                clock=clock,
            )
            if oidc is not None and oidc.openid_connect is not None
            else None
        )

    def modes_for(self, operation: Operation, namespace: str | None) -> tuple[AuthType, ...]:
        config = self._config
        if operation == "EVENT_CONNECT":
            return config.connection_auth_modes
        ns = config.namespace(namespace) if namespace else None
        if operation == "EVENT_PUBLISH":
            own = ns.publish_auth_modes if ns else None
            return own if own else config.default_publish_auth_modes
        own = ns.subscribe_auth_modes if ns else None
        return own if own else config.default_subscribe_auth_modes

    async def authorize(self, request: AuthRequest) -> Grant:
        """The grant of the first allowed mode that accepts the request; otherwise UnauthorizedException."""
        namespace = request.channel.namespace if request.channel else None
        for mode in self.modes_for(request.operation, namespace):
            grant = await self._try_mode(mode, request)
            if grant is not None:
                return grant
        raise unauthorized()

    async def _try_mode(self, mode: AuthType, request: AuthRequest) -> Grant | None:
        authorization = request.headers.get("authorization", "")
        if mode == "API_KEY":
            return self._api_key(request)
        if mode == "AWS_IAM":
            return self._iam_sigv4(request) if authorization.startswith("AWS4-HMAC-SHA256") else None
        if not authorization or authorization.startswith("AWS4-HMAC-SHA256"):
            return None
        if mode == "AWS_LAMBDA":
            return await self._lambda(request, authorization)
        if mode == "OPENID_CONNECT":
            return await self._openid_connect(request, authorization)
        logger.warning("auth mode %s is not supported by the local cloud; request denied", mode)
        return None

    # ---- API_KEY

    def _api_key(self, request: AuthRequest) -> Grant | None:
        value = request.headers.get("x-api-key")
        if not value:
            return None
        return Grant("API_KEY", None) if self._api_keys.valid(value) is not None else None

    # ---- AWS_LAMBDA

    async def _lambda(self, request: AuthRequest, token: str) -> Grant | None:
        provider = self._config.provider("AWS_LAMBDA")
        if provider is None or provider.lambda_authorizer is None or self._invoker is None:
            return None
        settings = provider.lambda_authorizer
        channel = request.channel.display if request.channel else None
        # The authorizer sees operation and channel, so its answer is cached per token, operation, channel.
        cache_key = (token, request.operation, channel)
        now = self._clock()
        cached = self._lambda_cache.get(cache_key)
        if cached is not None and cached[0] > now:
            return cached[1]
        event = {
            "authorizationToken": token,
            "requestContext": {
                "apiId": self._config.api_id,
                "accountId": self._config.account,
                "requestId": str(uuid.uuid4()),
                "operation": request.operation,
                "channelNamespaceName": request.channel.namespace if request.channel else None,
                "channel": channel,
            },
            "requestHeaders": dict(request.headers),
        }
        try:
            reply = await self._invoker.invoke(settings.authorizer_uri, event)
        except FunctionError as exc:
            logger.warning("Lambda authorizer %s failed (%s); request denied", settings.authorizer_uri, exc)
            return None
        except FunctionNotFound:
            logger.error("Lambda authorizer %s does not exist; request denied", settings.authorizer_uri)
            return None
        grant: Grant | None = None
        ttl: float = settings.result_ttl_seconds
        if isinstance(reply, dict):
            if reply.get("isAuthorized") is True:
                context = reply.get("handlerContext")
                grant = Grant("AWS_LAMBDA", {"handlerContext": context if isinstance(context, dict) else {}})
            override = reply.get("ttlOverride")
            if isinstance(override, int | float) and not isinstance(override, bool):
                ttl = max(0.0, min(float(override), 3600.0))
        else:
            logger.warning("Lambda authorizer returned %r, expected an object with isAuthorized", type(reply))
        if ttl > 0:
            if len(self._lambda_cache) >= _LAMBDA_CACHE_MAX_ENTRIES:
                self._evict_expired(now)
            self._lambda_cache[cache_key] = (now + ttl, grant)
        return grant

    def _evict_expired(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._lambda_cache.items() if expires <= now]:
            del self._lambda_cache[key]
        while len(self._lambda_cache) >= _LAMBDA_CACHE_MAX_ENTRIES:
            del self._lambda_cache[next(iter(self._lambda_cache))]

    # ---- AWS_IAM

    def _iam_sigv4(self, request: AuthRequest) -> Grant | None:
        """Recompute the SigV4 signature of `POST https://<host>/event` (service appsync) with botocore.

        Checked: the Authorization header's form; the access key id is one of `iam_credentials`; the
        credential scope's date equals x-amz-date's date, its region is the API's region and its service is
        `appsync`; x-amz-date is within 15 minutes of now; every header listed in SignedHeaders is present
        and its value enters the signature; the signature matches one of the candidate bodies (HTTP: the
        exact request body; WebSocket: `{}` / `{"channel":..}` / `{"channel":..,"events":[..]}` in compact
        and spaced JSON, channel with and without the leading slash); a signed x-amz-content-sha256 must be
        the hash of such a body. Not checked: IAM policies (any known key may connect, publish and subscribe
        anywhere), the validity of X-Amz-Security-Token (signed, but not verified against STS), and the
        `host` matching our own address (clients sign the HTTP domain even on the realtime socket).
        """
        headers = request.headers
        match = _SIGV4_HEADER.fullmatch(headers.get("authorization", "").strip())
        if match is None:
            return None
        scope = match["credential"].split("/")
        if len(scope) != 5 or scope[3] != "appsync" or scope[4] != "aws4_request":
            return None
        access_key, date, region = scope[0], scope[1], scope[2]
        secret = self._iam.get(access_key)
        amz_date = headers.get("x-amz-date", "")
        if secret is None or region != self._config.region or not amz_date.startswith(date):
            return None
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError:
            return None
        if abs(self._clock() - signed_at) > _SIGV4_MAX_SKEW_SECONDS:
            return None
        signed_names = match["signed"].split(";")
        if "host" not in signed_names or any(name not in headers for name in signed_names):
            return None
        signer = SigV4Auth(Credentials(access_key, secret), "appsync", region)
        signed_headers = {name: headers[name] for name in signed_names}
        try:
            for body in request.signed_bodies():
                aws_request = AWSRequest(
                    method="POST", url=f"https://{headers['host']}/event", data=body, headers=signed_headers
                )
                aws_request.context["timestamp"] = amz_date
                canonical = signer.canonical_request(aws_request)
                if "x-amz-content-sha256" in signed_headers and not canonical.endswith(
                    signer.payload(aws_request)
                ):
                    continue
                expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
                if hmac.compare_digest(expected, match["signature"]):
                    return Grant("AWS_IAM", self._iam_identity(access_key, request.source_ip))
        except ValueError as exc:  # a host or header value botocore cannot canonicalise: no client signed it
            logger.info("SigV4 signature refused: %s", exc)
        return None

    def _iam_identity(self, access_key: str, source_ip: str) -> dict[str, Any]:
        return {
            "accountId": self._config.account,
            "cognitoIdentityPoolId": None,
            "cognitoIdentityId": None,
            "cognitoIdentityAuthType": None,
            "cognitoIdentityAuthProvider": None,
            "sourceIp": [source_ip],
            "username": access_key,
            "userArn": f"arn:aws:iam::{self._config.account}:user/{access_key}",
        }

    # ---- OPENID_CONNECT

    async def _openid_connect(self, request: AuthRequest, token: str) -> Grant | None:
        provider = self._config.provider("OPENID_CONNECT")
        if provider is None or provider.openid_connect is None or self._oidc_keys is None:
            return None
        oidc = provider.openid_connect
        token = token.removeprefix("Bearer ").strip()
        try:
            header = jwt.get_unverified_header(token)
            key = await self._oidc_keys.key(header.get("kid"))
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name] if key.algorithm_name else ["RS256", "ES256"],
                issuer=oidc.issuer,
                audience=oidc.client_id,
                options={"verify_aud": oidc.client_id is not None, "require": ["exp", "iss", "sub"]},
            )
        except (jwt.PyJWTError, JwksUnavailable) as exc:
            logger.info("OIDC token rejected: %s", exc)
            return None
        now = self._clock()
        # IatTTL / AuthTTL: how long after issue (iat) or authentication (auth_time) a token stays valid.
        if oidc.iat_ttl_ms and now - float(claims.get("iat", 0)) > oidc.iat_ttl_ms / 1000:
            return None
        if (
            oidc.auth_ttl_ms
            and now - float(claims.get("auth_time", claims.get("iat", 0))) > oidc.auth_ttl_ms / 1000
        ):
            return None
        identity = {
            "sub": claims["sub"],
            "issuer": claims["iss"],
            "username": claims.get("username", claims["sub"]),
            "claims": claims,
            "sourceIp": [request.source_ip],
            "defaultAuthStrategy": None,
            "groups": None,
        }
        return Grant("OPENID_CONNECT", identity)


def _check_providers(config: EventApiConfig, invoker: LambdaInvoker | None) -> None:
    """Refuse at start-up a configuration whose auth modes cannot work, naming what to add."""
    used = {
        *config.connection_auth_modes,
        *config.default_publish_auth_modes,
        *config.default_subscribe_auth_modes,
        *(m for ns in config.namespaces for m in (ns.publish_auth_modes or ())),
        *(m for ns in config.namespaces for m in (ns.subscribe_auth_modes or ())),
    }
    unprovided = sorted(used - {provider.auth_type for provider in config.auth_providers})
    if unprovided:
        raise ValueError(
            f"auth mode {', '.join(unprovided)} is used but {config.name} has no AuthProvider of that type; "
            "add one to its EventConfig.AuthProviders"
        )
    lambda_provider = config.provider("AWS_LAMBDA")
    if "AWS_LAMBDA" in used and (lambda_provider is None or lambda_provider.lambda_authorizer is None):
        raise ValueError(
            "AWS_LAMBDA auth mode is used but no AuthProvider has a LambdaAuthorizerConfig; add one"
        )
    if "AWS_LAMBDA" in used and invoker is None:
        raise ValueError("AWS_LAMBDA auth mode needs a Lambda invoker; pass one to AppSyncEventsServer")
    oidc_provider = config.provider("OPENID_CONNECT")
    if "OPENID_CONNECT" in used and (oidc_provider is None or oidc_provider.openid_connect is None):
        raise ValueError(
            "OPENID_CONNECT auth mode is used but no AuthProvider has an OpenIDConnectConfig; add one"
        )
