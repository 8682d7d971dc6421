"""AppSync Events APIs of the template (Api, ChannelNamespace, ApiKey, DataSource) as `EventApiConfig`s."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast, get_args

from vcn.appsync.config import (
    ApiKey,
    AuthProvider,
    AuthType,
    DataSource,
    EventApiConfig,
    HandlerConfig,
    LambdaAuthorizerConfig,
    Namespace,
    OpenIdConnectConfig,
)

from .errors import Location
from .intrinsics import Resolver
from .local_values import LocalResources

_AUTH_TYPES = set(get_args(AuthType))


def _auth_type(value: Any, at: Location) -> AuthType:
    auth_type = value.get("AuthType") if isinstance(value, dict) else value
    if auth_type not in _AUTH_TYPES:
        raise at.error(f"AuthType {auth_type!r} is not one of {sorted(_AUTH_TYPES)}")
    return cast(AuthType, auth_type)


def _auth_modes(value: Any, at: Location) -> tuple[AuthType, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise at.error("auth modes must be a list of {AuthType: ...}")
    return tuple(_auth_type(item, at.child(i)) for i, item in enumerate(value))


# EventConfig's auth-mode members, by the EventApiConfig field each becomes.
_API_MODES = {
    "connection_auth_modes": "ConnectionAuthModes",
    "default_publish_auth_modes": "DefaultPublishAuthModes",
    "default_subscribe_auth_modes": "DefaultSubscribeAuthModes",
}


def _provided_modes(value: Any, provided: set[AuthType], at: Location) -> tuple[AuthType, ...] | None:
    """The auth modes at `at`, each of which must have an AuthProvider of its type: no other mode works."""
    modes = _auth_modes(value, at)
    unprovided = sorted(set(modes or ()) - provided)
    if unprovided:
        raise at.error(
            f"auth mode {', '.join(unprovided)} has no AuthProvider of its type in the API's "
            "EventConfig.AuthProviders; AppSync Events authorizes a mode only through a provider of it"
        )
    return modes


def _lambda_authorizer(config: Any) -> AuthProvider:
    return AuthProvider(
        "AWS_LAMBDA",
        lambda_authorizer=LambdaAuthorizerConfig(
            authorizer_uri=str(config["AuthorizerUri"]),
            result_ttl_seconds=int(config.get("AuthorizerResultTtlInSeconds", 300)),
            identity_validation_expression=config.get("IdentityValidationExpression"),
        ),
    )


def _openid_connect(config: Any) -> AuthProvider:
    return AuthProvider(
        "OPENID_CONNECT",
        openid_connect=OpenIdConnectConfig(
            issuer=str(config["Issuer"]),
            client_id=config.get("ClientId"),
            auth_ttl_ms=int(config.get("AuthTTL", 0)),
            iat_ttl_ms=int(config.get("IatTTL", 0)),
        ),
    )


@dataclass(frozen=True)
class _ProviderConfig:
    """Where an auth type keeps its own configuration in the template, and what it becomes."""

    member: str
    required: str
    provider: Callable[[Any], AuthProvider]


_PROVIDER_CONFIGS: dict[AuthType, _ProviderConfig] = {
    "AWS_LAMBDA": _ProviderConfig("LambdaAuthorizerConfig", "AuthorizerUri", _lambda_authorizer),
    "OPENID_CONNECT": _ProviderConfig("OpenIDConnectConfig", "Issuer", _openid_connect),
}


def _provider(raw: Any, at: Location) -> AuthProvider:
    auth_type = _auth_type(raw, at)
    own = _PROVIDER_CONFIGS.get(auth_type)
    if own is None:
        return AuthProvider(auth_type)
    config = raw.get(own.member) or {}
    if own.required not in config:
        raise at.child(own.member).error(f"{own.required} is required for {auth_type}")
    return own.provider(config)


def _handler(raw: Any, at: Location) -> HandlerConfig | None:
    if raw is None:
        return None
    behavior = raw.get("Behavior")
    if behavior != "DIRECT":
        raise at.child("Behavior").error(
            f"handler Behavior {behavior!r} is not supported locally (only DIRECT Lambda handlers run)"
        )
    integration = raw.get("Integration") or {}
    if "DataSourceName" not in integration:
        raise at.child("Integration").error("DataSourceName is required for a DIRECT handler")
    invoke_type = (integration.get("LambdaConfig") or {}).get("InvokeType", "REQUEST_RESPONSE")
    if invoke_type not in ("REQUEST_RESPONSE", "EVENT"):
        raise at.child("Integration").error(f"InvokeType {invoke_type!r} must be REQUEST_RESPONSE or EVENT")
    return HandlerConfig("DIRECT", data_source=str(integration["DataSourceName"]), invoke_type=invoke_type)


def _expires_hint(raw: Any) -> str:
    """How to pass a later expiry: name the parameter when Expires is `!Ref <parameter>`."""
    if isinstance(raw, dict) and isinstance(raw.get("Ref"), str):
        return f"Pass a future time, e.g. --parameter-overrides {raw['Ref']}=<epoch seconds>"
    return "Set Expires to a future time in epoch seconds"


def extract_appsync_apis(
    resolver: Resolver, resources: LocalResources, by_type: Callable[[str], list[str]], notes: list[str]
) -> list[EventApiConfig]:
    """One EventApiConfig per AWS::AppSync::Api, with the namespaces, keys and Lambda data sources of it."""

    resolved = resources.resolved_properties

    def api_of(lid: str, props: dict[str, Any], known: dict[str, Any]) -> str:
        api_id = props.get("ApiId")
        if api_id not in known:
            raise Location(lid, ("ApiId",)).error(
                f"ApiId {api_id!r} is not an AWS::AppSync::Api of this template (use !GetAtt <Api>.ApiId)"
            )
        return str(api_id)

    apis: dict[str, dict[str, Any]] = {}
    for lid in by_type("AWS::AppSync::Api"):
        props = resolved(lid)
        at = Location(lid, ("EventConfig",))
        event_config = props.get("EventConfig")
        if not isinstance(event_config, dict):
            raise at.error("EventConfig is required (the local cloud emulates AppSync Events APIs)")
        providers = tuple(
            _provider(p, at.child("AuthProviders").child(i))
            for i, p in enumerate(event_config.get("AuthProviders") or [])
        )
        provided = {provider.auth_type for provider in providers}
        apis[resources.appsync_api_id(lid)] = {
            "name": str(props.get("Name", lid)),
            "auth_providers": providers,
            **{
                key: _provided_modes(event_config.get(member), provided, at.child(member))
                for key, member in _API_MODES.items()
            },
            "namespaces": [],
            "api_keys": [],
            "data_sources": [],
        }

    for lid in by_type("AWS::AppSync::DataSource"):
        props = resolved(lid)
        api = apis[api_of(lid, props, apis)]
        if props.get("Type") != "AWS_LAMBDA":
            notes.append(
                f"{lid}: AppSync data source type {props.get('Type')} is not emulated (only AWS_LAMBDA)"
            )
            continue
        config = props.get("LambdaConfig") or {}
        function = config.get("LambdaFunctionArn") or config.get("FunctionArn")
        if not isinstance(function, str):
            raise Location(lid, ("LambdaConfig", "LambdaFunctionArn")).error("LambdaFunctionArn is required")
        api["data_sources"].append(DataSource(name=resources.name(lid, "Name"), function=function))

    for lid in by_type("AWS::AppSync::ChannelNamespace"):
        props = resolved(lid)
        api = apis[api_of(lid, props, apis)]
        at = Location(lid)
        if props.get("CodeHandlers") or props.get("CodeS3Location"):
            raise at.child("CodeHandlers").error(
                "APPSYNC_JS code handlers are not supported locally (use DIRECT Lambda handlers)"
            )
        handlers = props.get("HandlerConfigs") or {}
        provided = {provider.auth_type for provider in api["auth_providers"]}
        namespace = Namespace(
            name=resources.name(lid, "Name"),
            publish_auth_modes=_provided_modes(
                props.get("PublishAuthModes"), provided, at.child("PublishAuthModes")
            ),
            subscribe_auth_modes=_provided_modes(
                props.get("SubscribeAuthModes"), provided, at.child("SubscribeAuthModes")
            ),
            on_publish=_handler(handlers.get("OnPublish"), at.child("HandlerConfigs").child("OnPublish")),
            on_subscribe=_handler(
                handlers.get("OnSubscribe"), at.child("HandlerConfigs").child("OnSubscribe")
            ),
        )
        sources = {source.name for source in api["data_sources"]}
        for handler, key in ((namespace.on_publish, "OnPublish"), (namespace.on_subscribe, "OnSubscribe")):
            if handler is not None and handler.data_source not in sources:
                raise (
                    at.child("HandlerConfigs")
                    .child(key)
                    .error(
                        f"DataSourceName {handler.data_source!r} is not an AWS_LAMBDA data source of this API"
                    )
                )
        api["namespaces"].append(namespace)

    for lid in by_type("AWS::AppSync::ApiKey"):
        props = resolved(lid)
        api = apis[api_of(lid, props, apis)]
        at = Location(lid, ("Expires",))
        expires: int | None = None  # omitted: AWS's default lifetime, counted from the key's creation
        if "Expires" in props:
            try:
                expires = int(float(props["Expires"]))
            except (TypeError, ValueError):
                raise at.error(f"Expires {props['Expires']!r} is not epoch seconds") from None
            if expires <= time.time():
                raise at.error(
                    f"the API key expired at {expires} (epoch seconds); AWS rejects an expired key",
                    hint=_expires_hint(resources.properties(lid).get("Expires")),
                )
        description = props.get("Description")
        api["api_keys"].append(
            ApiKey(
                key_id=lid,
                value=resources.api_key_value(lid),
                expires=expires,
                description=str(description) if description is not None else None,
            )
        )

    configs = []
    for api_id, api in apis.items():
        defaults = {
            key: api[key]
            for key in ("connection_auth_modes", "default_publish_auth_modes", "default_subscribe_auth_modes")
            if api[key] is not None
        }
        configs.append(
            EventApiConfig(
                name=api["name"],
                api_id=api_id,
                account=resolver.account,
                region=resolver.region,
                auth_providers=api["auth_providers"],
                namespaces=tuple(api["namespaces"]),
                api_keys=tuple(api["api_keys"]),
                data_sources=tuple(api["data_sources"]),
                **defaults,
            )
        )
    return configs
