"""Connections and API destinations: validation of Create requests and Describe output without secrets."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from vcn.eventbridge.errors import validation_error
from vcn.eventbridge.model import Connection, named_resource_fields

API_KEY = "API_KEY"
BASIC = "BASIC"
OAUTH = "OAUTH_CLIENT_CREDENTIALS"
AUTH_MEMBER = {API_KEY: "ApiKeyAuthParameters", BASIC: "BasicAuthParameters", OAUTH: "OAuthParameters"}
REQUIRED_AUTH_FIELDS = {API_KEY: ("ApiKeyName", "ApiKeyValue"), BASIC: ("Username", "Password")}
HTTP_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")
DEFAULT_RATE_LIMIT = 300


def check_auth_parameters(authorization_type: str, auth: Mapping[str, Any]) -> None:
    if authorization_type not in AUTH_MEMBER:
        raise validation_error(
            f"AuthorizationType {authorization_type!r} is not supported: use API_KEY, BASIC or "
            "OAUTH_CLIENT_CREDENTIALS."
        )
    member = AUTH_MEMBER[authorization_type]
    section = auth.get(member)
    if not isinstance(section, Mapping):
        raise validation_error(f"AuthorizationType {authorization_type} requires AuthParameters.{member}.")
    for name in REQUIRED_AUTH_FIELDS.get(authorization_type, ()):
        if not isinstance(section.get(name), str) or not section[name]:
            raise validation_error(f"AuthParameters.{member}.{name} is required for {authorization_type}.")
    if authorization_type == OAUTH:
        client = section.get("ClientParameters")
        if not isinstance(client, Mapping) or not client.get("ClientID") or not client.get("ClientSecret"):
            raise validation_error("OAuthParameters.ClientParameters needs ClientID and ClientSecret.")
        check_endpoint(section.get("AuthorizationEndpoint"), "OAuthParameters.AuthorizationEndpoint")
        if section.get("HttpMethod") not in ("GET", "POST", "PUT"):
            raise validation_error("OAuthParameters.HttpMethod must be GET, POST or PUT.")


def check_endpoint(url: Any, what: str) -> str:
    """https:// anywhere, or plain http:// on loopback (a local relaxation: AWS requires https)."""
    if not isinstance(url, str):
        raise validation_error(f"{what} is required.")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    raise validation_error(
        f"{what} {url!r} is not valid: use an https:// URL "
        "(the local cloud also accepts http:// on loopback)."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _public_parameters(parameters: Any) -> Any:
    """Invocation HTTP parameters with the values marked IsValueSecret left out."""
    if not isinstance(parameters, Mapping):
        return parameters
    public: dict[str, Any] = {}
    for kind, entries in parameters.items():
        if isinstance(entries, list):
            public[kind] = [
                {
                    key: value
                    for key, value in entry.items()
                    if not (key == "Value" and entry.get("IsValueSecret"))
                }
                for entry in entries
                if isinstance(entry, Mapping)
            ]
        else:
            public[kind] = entries
    return public


def describe_auth_parameters(connection: Connection) -> dict[str, Any]:
    auth = connection.auth_parameters
    described: dict[str, Any] = {}
    if connection.authorization_type == API_KEY:
        described["ApiKeyAuthParameters"] = {"ApiKeyName": auth["ApiKeyAuthParameters"]["ApiKeyName"]}
    elif connection.authorization_type == BASIC:
        described["BasicAuthParameters"] = {"Username": auth["BasicAuthParameters"]["Username"]}
    else:
        oauth = auth["OAuthParameters"]
        public: dict[str, Any] = {
            "ClientParameters": {"ClientID": oauth["ClientParameters"]["ClientID"]},
            "AuthorizationEndpoint": oauth["AuthorizationEndpoint"],
            "HttpMethod": oauth["HttpMethod"],
        }
        if "OAuthHttpParameters" in oauth:
            public["OAuthHttpParameters"] = _public_parameters(oauth["OAuthHttpParameters"])
        described["OAuthParameters"] = public
    if "InvocationHttpParameters" in auth:
        described["InvocationHttpParameters"] = _public_parameters(auth["InvocationHttpParameters"])
    return described


def describe_connection(connection: Connection) -> dict[str, Any]:
    return {
        **named_resource_fields("ConnectionArn", connection.arn, connection.name, connection.description),
        "ConnectionState": "AUTHORIZED",
        "AuthorizationType": connection.authorization_type,
        "SecretArn": connection.secret_arn,
        "AuthParameters": describe_auth_parameters(connection),
        "CreationTime": connection.created,
        "LastModifiedTime": connection.modified,
        "LastAuthorizedTime": connection.modified,
    }
