"""Connections and API destinations beyond the service model: the auth parameters of the connection's own
type, endpoints (https, or http on loopback), UpdateConnection's merge, DeauthorizeConnection's removal of the
secret, and Describe output without secrets."""

from __future__ import annotations

import copy
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
DEFAULT_RATE_LIMIT = 300


def check_auth_parameters(authorization_type: str, auth: Mapping[str, Any]) -> None:
    """What the model cannot say: the parameters of the connection's own AuthorizationType are there."""
    member = AUTH_MEMBER[authorization_type]
    if not isinstance(auth.get(member), Mapping):
        raise validation_error(f"AuthorizationType {authorization_type} requires AuthParameters.{member}.")
    if authorization_type == OAUTH:
        check_endpoint(auth[member]["AuthorizationEndpoint"], "OAuthParameters.AuthorizationEndpoint")


def merged_auth_parameters(
    existing: Mapping[str, Any], authorization_type: str, update: Mapping[str, Any]
) -> dict[str, Any]:
    """UpdateConnection's AuthParameters over the stored ones (objects merge, lists are replaced); the
    stored sections of other authorization types are dropped. A request may not bring them."""
    foreign = sorted(
        member for kind, member in AUTH_MEMBER.items() if kind != authorization_type and member in update
    )
    if foreign:
        # UNCONFIRMED: whether AWS refuses or ignores them; refusing says what would otherwise be lost.
        raise validation_error(
            f"AuthParameters.{', AuthParameters.'.join(foreign)} cannot be used with AuthorizationType "
            f"{authorization_type}; give AuthParameters.{AUTH_MEMBER[authorization_type]}, or change "
            "AuthorizationType too."
        )
    merged = _merge(existing, update)
    for other in set(AUTH_MEMBER.values()) - {AUTH_MEMBER[authorization_type]}:
        merged.pop(other, None)
    return merged


def _merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# The secret of each authorization type, as a path into AuthParameters; DeauthorizeConnection removes it.
SECRETS = {
    API_KEY: ("ApiKeyAuthParameters", "ApiKeyValue"),
    BASIC: ("BasicAuthParameters", "Password"),
    OAUTH: ("OAuthParameters", "ClientParameters", "ClientSecret"),
}


def without_secret(authorization_type: str, auth: Mapping[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(dict(auth))
    *parents, secret = SECRETS[authorization_type]
    section: Any = stripped
    for name in parents:
        section = section.get(name) if isinstance(section, dict) else None
    if isinstance(section, dict):
        section.pop(secret, None)
    return stripped


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
    described = named_resource_fields(
        "ConnectionArn", connection.arn, connection.name, connection.description
    )
    if connection.connectivity is not None:
        described["InvocationConnectivityParameters"] = {
            "ResourceParameters": {
                "ResourceConfigurationArn": connection.connectivity["ResourceParameters"][
                    "ResourceConfigurationArn"
                ]
            }
        }
    described["ConnectionState"] = connection.state
    if connection.state_reason is not None:
        described["StateReason"] = connection.state_reason
    described["AuthorizationType"] = connection.authorization_type
    described["SecretArn"] = connection.secret_arn
    if connection.kms_key_identifier is not None:
        described["KmsKeyIdentifier"] = connection.kms_key_identifier
    described["AuthParameters"] = describe_auth_parameters(connection)
    described["CreationTime"] = connection.created
    described["LastModifiedTime"] = connection.modified
    if connection.last_authorized is not None:
        described["LastAuthorizedTime"] = connection.last_authorized
    return described


def connection_summary(connection: Connection, state: str | None = None) -> dict[str, Any]:
    """What Create-, Update-, Delete- and DeauthorizeConnection answer."""
    summary: dict[str, Any] = {
        "ConnectionArn": connection.arn,
        "ConnectionState": state or connection.state,
        "CreationTime": connection.created,
        "LastModifiedTime": connection.modified,
    }
    if connection.last_authorized is not None:
        summary["LastAuthorizedTime"] = connection.last_authorized
    return summary
