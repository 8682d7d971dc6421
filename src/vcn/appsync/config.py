"""The shape of one AppSync Events API as the local cloud runs it (what the template loader produces).

Mirrors `AWS::AppSync::Api.EventConfig`, `AWS::AppSync::ChannelNamespace`, `AWS::AppSync::ApiKey` and
`AWS::AppSync::DataSource` (AWS_LAMBDA) after intrinsic functions are resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AuthType = Literal["API_KEY", "AWS_LAMBDA", "AWS_IAM", "OPENID_CONNECT", "AMAZON_COGNITO_USER_POOLS"]
HandlerBehavior = Literal["CODE", "DIRECT"]
InvokeType = Literal["REQUEST_RESPONSE", "EVENT"]


@dataclass(frozen=True)
class LambdaAuthorizerConfig:
    authorizer_uri: str  # function ARN (or name) handed to the LambdaInvoker
    result_ttl_seconds: int = 300  # AuthorizerResultTtlInSeconds, 0..3600
    identity_validation_expression: str | None = None


@dataclass(frozen=True)
class OpenIdConnectConfig:
    issuer: str
    client_id: str | None = None
    jwks_url: str | None = (
        None  # locally: where to fetch keys (AWS derives it from the issuer's discovery document)
    )
    auth_ttl_ms: int = 0
    iat_ttl_ms: int = 0


@dataclass(frozen=True)
class AuthProvider:
    auth_type: AuthType
    lambda_authorizer: LambdaAuthorizerConfig | None = None
    openid_connect: OpenIdConnectConfig | None = None


@dataclass(frozen=True)
class ApiKey:
    key_id: str  # the logical id or the key's id
    value: str  # the secret (`!GetAtt Key.ApiKey`)
    expires: int | None = None  # epoch seconds as declared; None: AWS's default, 7 days from creation
    description: str | None = None


@dataclass(frozen=True)
class HandlerConfig:
    behavior: HandlerBehavior
    data_source: str | None = None  # DataSourceName for DIRECT handlers
    invoke_type: InvokeType = "REQUEST_RESPONSE"


@dataclass(frozen=True)
class DataSource:
    name: str
    function: str  # Lambda function ARN (or name) for AWS_LAMBDA data sources


@dataclass(frozen=True)
class Namespace:
    name: str
    publish_auth_modes: tuple[AuthType, ...] | None = None  # None -> the API's DefaultPublishAuthModes
    subscribe_auth_modes: tuple[AuthType, ...] | None = None  # None -> the API's DefaultSubscribeAuthModes
    on_publish: HandlerConfig | None = None
    on_subscribe: HandlerConfig | None = None


@dataclass(frozen=True)
class EventApiConfig:
    name: str
    api_id: str
    account: str
    region: str
    auth_providers: tuple[AuthProvider, ...] = (AuthProvider("API_KEY"),)  # what the default modes need
    connection_auth_modes: tuple[AuthType, ...] = ("API_KEY",)
    default_publish_auth_modes: tuple[AuthType, ...] = ("API_KEY",)
    default_subscribe_auth_modes: tuple[AuthType, ...] = ("API_KEY",)
    namespaces: tuple[Namespace, ...] = ()
    api_keys: tuple[ApiKey, ...] = ()
    data_sources: tuple[DataSource, ...] = field(default_factory=tuple)

    @property
    def api_arn(self) -> str:
        return f"arn:aws:appsync:{self.region}:{self.account}:apis/{self.api_id}"

    def namespace(self, name: str) -> Namespace | None:
        return next((ns for ns in self.namespaces if ns.name == name), None)

    def provider(self, auth_type: AuthType) -> AuthProvider | None:
        return next((p for p in self.auth_providers if p.auth_type == auth_type), None)
