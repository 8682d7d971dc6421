"""API Gateway APIs of the template as `HttpApiConfig`s: routes -> functions, each with its JWT authorizer.

Read from the translated template, so SAM `HttpApi`/`Api` events, explicit OpenAPI bodies and hand-written
`AWS::ApiGatewayV2::Route`/`Integration`/`Authorizer` resources all end up in the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from vcn.arns import function_name, is_lambda_function
from vcn.httpapi.config import HttpApiConfig, HttpRoute, JwtAuthorizerConfig

from .errors import Location
from .local_values import LocalResources

_METHODS = {"get", "post", "put", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"}
_LAMBDA_URI = re.compile(r"functions/(arn:[^/]+)/invocations")


def _function_of(uri: Any, at: Location) -> str:
    """An integration URI (apigateway invocation URI or a plain function ARN) -> function name."""
    text = str(uri)
    match = _LAMBDA_URI.search(text)
    if match:
        return function_name(match.group(1))
    if is_lambda_function(text):
        return function_name(text)
    raise at.error(
        f"integration {text!r} is not a Lambda function; only Lambda proxy integrations run locally"
    )


def _identity_source(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else "$request.header.Authorization"
    return str(value) if value else "$request.header.Authorization"


def _jwt(name: str, issuer: Any, audience: Any, identity_source: Any, at: Location) -> JwtAuthorizerConfig:
    if not isinstance(issuer, str) or not issuer:
        raise at.error(f"JWT authorizer {name}: issuer is required")
    audiences = (
        tuple(str(a) for a in audience)
        if isinstance(audience, list)
        else (str(audience),)
        if audience
        else ()
    )
    return JwtAuthorizerConfig(
        name=name, issuer=issuer, audiences=audiences, identity_source=_identity_source(identity_source)
    )


def _body_authorizers(body: dict[str, Any], kind: str, at: Location) -> dict[str, JwtAuthorizerConfig]:
    schemes = (body.get("components") or {}).get("securitySchemes") or body.get("securityDefinitions") or {}
    authorizers = {}
    for name, scheme in schemes.items():
        config = (scheme or {}).get("x-amazon-apigateway-authorizer")
        where = at.child("securitySchemes").child(name)
        if config is None:
            continue
        if kind == "HTTP" and config.get("type") == "jwt":
            jwt = config.get("jwtConfiguration") or {}
            authorizers[name] = _jwt(
                name, jwt.get("issuer"), jwt.get("audience"), config.get("identitySource"), where
            )
        else:
            raise where.error(
                f"authorizer {name} of type {config.get('type')!r} is not supported locally "
                "(only HTTP API JWT authorizers)"
            )
    return authorizers


def _routes_from_body(
    body: dict[str, Any],
    kind: str,
    authorizers: dict[str, JwtAuthorizerConfig],
    at: Location,
    notes: list[str],
) -> list[HttpRoute]:
    routes = []
    default_security = body.get("security")
    for path, operations in (body.get("paths") or {}).items():
        if not isinstance(operations, dict):
            continue
        for method, operation in operations.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            where = at.child("paths").child(path).child(method)
            integration = operation.get("x-amazon-apigateway-integration") or {}
            if integration.get("type") == "mock":
                notes.append(f"{at.resource}: mock integration {method.upper()} {path} is not served locally")
                continue
            security = operation.get("security", default_security) or []
            authorizer: JwtAuthorizerConfig | None = None
            scopes: tuple[str, ...] = ()
            for requirement in security:
                for name, requirement_scopes in requirement.items():
                    if name == "NONE":
                        continue
                    if name not in authorizers:
                        raise where.error(
                            f"security {name!r} is not supported locally (only JWT authorizers)"
                        )
                    authorizer, scopes = authorizers[name], tuple(requirement_scopes or ())
            default_format = "2.0" if kind == "HTTP" else "1.0"
            routes.append(
                HttpRoute(
                    method="ANY" if method == "x-amazon-apigateway-any-method" else method.upper(),
                    path=path,
                    function=_function_of(integration.get("uri"), where),
                    authorizer=authorizer,
                    authorization_scopes=scopes,
                    payload_format_version=str(integration.get("payloadFormatVersion", default_format)),
                )
            )
    return routes


def extract_http_apis(
    resources: LocalResources, by_type: Callable[[str], list[str]], notes: list[str]
) -> list[HttpApiConfig]:
    """Every AWS::ApiGatewayV2::Api (HTTP) and AWS::ApiGateway::RestApi with their routes and authorizers."""

    resolved = resources.resolved_properties

    def stage_of(api_id: str, stage_type: str, id_property: str, default: str) -> str:
        for lid in by_type(stage_type):
            props = resolved(lid)
            if props.get(id_property) == api_id and "StageName" in props:
                return str(props["StageName"])
        return default

    apis = []
    routes_by_api: dict[str, list[HttpRoute]] = {}
    authorizers_by_api: dict[str, dict[str, JwtAuthorizerConfig]] = {}
    _collect_route_resources(resolved, by_type, routes_by_api, authorizers_by_api)

    for kind, rtype in (("HTTP", "AWS::ApiGatewayV2::Api"), ("REST", "AWS::ApiGateway::RestApi")):
        for lid in by_type(rtype):
            props = resolved(lid)
            at = Location(lid, ("Body",))
            api_id = resources.http_api_id(lid)
            if kind == "HTTP" and props.get("ProtocolType", "HTTP") != "HTTP":
                raise Location(lid, ("ProtocolType",)).error("WebSocket APIs are not supported locally")
            if "BodyS3Location" in props:
                raise Location(lid, ("BodyS3Location",)).error(
                    "the OpenAPI body must be inline (DefinitionBody)"
                )
            body = props.get("Body") if isinstance(props.get("Body"), dict) else {}
            assert isinstance(body, dict)
            authorizers = {**_body_authorizers(body, kind, at), **authorizers_by_api.get(api_id, {})}
            routes = _routes_from_body(body, kind, authorizers, at, notes) + routes_by_api.get(api_id, [])
            if kind == "HTTP" and "Target" in props:
                routes.append(
                    HttpRoute("ANY", "$default", _function_of(props["Target"], Location(lid, ("Target",))))
                )
            if kind == "HTTP":
                stage = stage_of(api_id, "AWS::ApiGatewayV2::Stage", "ApiId", "$default")
            else:
                stage = stage_of(api_id, "AWS::ApiGateway::Stage", "RestApiId", "Prod")
            cors = body.get("x-amazon-apigateway-cors") or props.get("CorsConfiguration")
            apis.append(
                HttpApiConfig(
                    api_id=api_id,
                    kind=kind,  # type: ignore[arg-type]
                    stage=stage,
                    routes=tuple(routes),
                    cors=cors if isinstance(cors, dict) else None,
                )
            )
    return apis


def _collect_route_resources(
    resolved: Callable[[str], dict[str, Any]],
    by_type: Callable[[str], list[str]],
    routes_by_api: dict[str, list[HttpRoute]],
    authorizers_by_api: dict[str, dict[str, JwtAuthorizerConfig]],
) -> None:
    """Hand-written AWS::ApiGatewayV2::Route/Integration/Authorizer resources (Ref = logical id locally)."""
    integrations = {lid: resolved(lid) for lid in by_type("AWS::ApiGatewayV2::Integration")}
    for lid in by_type("AWS::ApiGatewayV2::Authorizer"):
        props = resolved(lid)
        at = Location(lid)
        if props.get("AuthorizerType") != "JWT":
            raise at.child("AuthorizerType").error(
                f"{props.get('AuthorizerType')} authorizers are not supported locally"
            )
        jwt = props.get("JwtConfiguration") or {}
        authorizer = _jwt(lid, jwt.get("Issuer"), jwt.get("Audience"), props.get("IdentitySource"), at)
        authorizers_by_api.setdefault(str(props.get("ApiId")), {})[lid] = authorizer
    for lid in by_type("AWS::ApiGatewayV2::Route"):
        props = resolved(lid)
        at = Location(lid)
        route_key = str(props.get("RouteKey", ""))
        target = str(props.get("Target", ""))
        integration = integrations.get(target.removeprefix("integrations/"))
        if integration is None:
            raise at.child("Target").error(
                f"Target {target!r} is not integrations/<an AWS::ApiGatewayV2::Integration>"
            )
        method, _, path = route_key.partition(" ")
        if route_key == "$default":
            method, path = "ANY", "$default"
        auth_type = props.get("AuthorizationType", "NONE")
        if auth_type not in ("NONE", "JWT"):
            raise at.child("AuthorizationType").error(f"{auth_type} authorization is not supported locally")
        api_id = str(props.get("ApiId"))
        route_authorizer = None
        if auth_type == "JWT":
            authorizer_id = str(props.get("AuthorizerId"))
            route_authorizer = authorizers_by_api.get(api_id, {}).get(authorizer_id)
            if route_authorizer is None:
                raise at.child("AuthorizerId").error(
                    f"AuthorizerId {authorizer_id!r} is not an AWS::ApiGatewayV2::Authorizer of this API"
                )
        routes_by_api.setdefault(api_id, []).append(
            HttpRoute(
                method=method,
                path=path,
                function=_function_of(integration.get("IntegrationUri"), at.child("Target")),
                authorizer=route_authorizer,
                authorization_scopes=tuple(props.get("AuthorizationScopes") or ()),
                payload_format_version=str(integration.get("PayloadFormatVersion", "2.0")),
            )
        )
