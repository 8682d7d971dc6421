"""`vcn local invoke`: one function, once, with the endpoints of the running local cloud when there is one."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vcn.identity.provider import DEFAULT_AUDIENCE
from vcn.lambda_runtime import InvalidEvent, invoke_local
from vcn.local.aws_env import function_environment
from vcn.local.env_vars import EnvVars
from vcn.local.profile import NO_PROFILE, AppProfile, LocalIdentity
from vcn.local.state import DamagedLocalJson, NoLocalCloud, load_local_json
from vcn.template import LocalEndpoints, load_stack

log = logging.getLogger("vcn.local")


class InvokeError(Exception):
    """The function or its event cannot be found or read; the message says which and what to do."""


def _port(url: str | None) -> int | None:
    return urlsplit(url).port if url else None


# The keys of local.json `vcn local invoke` points a function at.
INVOKE_NEEDS = ("api", "eventbridge", "appsync")


def _running_cloud(state_dir: Path) -> dict[str, Any] | None:
    """`<state_dir>/local.json`, or None when no local cloud runs there; InvokeError when it is damaged."""
    try:
        return load_local_json(state_dir, INVOKE_NEEDS)
    except NoLocalCloud as gone:
        if gone.stale:
            log.warning("%s", gone)
        return None
    except DamagedLocalJson as exc:
        raise InvokeError(str(exc)) from None


def dynamodb_of_running_cloud(state_dir: Path) -> str | None:
    """The DynamoDB endpoint in `<state_dir>/local.json`, or None (no local cloud, or no tables)."""
    info = _running_cloud(state_dir)
    dynamodb = info.get("dynamodb") if info is not None else None
    return str(dynamodb) if dynamodb else None


def endpoints_of_running_cloud(state_dir: Path) -> LocalEndpoints | None:
    """The endpoints in `<state_dir>/local.json`, or None when no local cloud runs there."""
    info = _running_cloud(state_dir)
    if info is None:
        return None
    appsync = info.get("appsync") or {}
    api, eventbridge, http = (
        _port(info.get("api")),
        _port(info.get("eventbridge")),
        _port(appsync.get("http")),
    )
    if api is None or eventbridge is None or http is None:
        return None
    return LocalEndpoints(
        host=urlsplit(info["api"]).hostname or "127.0.0.1",
        api_port=api,
        eventbridge_port=eventbridge,
        appsync_port=http,
        appsync_tls_port=_port(appsync.get("https")),
        api_key_value=str(appsync.get("apiKey") or LocalEndpoints().api_key_value),
    )


def local_identity_at(endpoints: LocalEndpoints) -> LocalIdentity:
    """The identity provider the running local cloud serves (or would serve) on the API port."""
    issuer = endpoints.api_url
    return LocalIdentity(issuer=issuer, audience=DEFAULT_AUDIENCE, jwks_url=f"{issuer}/.well-known/jwks.json")


def invoke_function(
    template: Path,
    function: str,
    event_path: Path | None,
    *,
    state_dir: Path,
    parameter_overrides: Mapping[str, str],
    profile: AppProfile = NO_PROFILE,
    env_vars: EnvVars | None = None,
) -> tuple[bool, Any]:
    """Run `function` once with the event file; returns (succeeded, result or Lambda's error object)."""
    endpoints = endpoints_of_running_cloud(state_dir)
    if endpoints is None:
        endpoints = LocalEndpoints()
        log.warning(
            "no local cloud runs for %s: AWS calls of the function go to %s", state_dir, endpoints.api_url
        )
    stack = load_stack(
        template,
        endpoints=endpoints,
        parameter_overrides=parameter_overrides,
        parameter_defaults=profile.local_parameters(local_identity_at(endpoints)),
    )
    try:
        spec = stack.function(function)
    except LookupError as exc:
        raise InvokeError(str(exc)) from None
    eventbridge_url = f"http://{endpoints.host}:{endpoints.eventbridge_port}"
    overrides = (env_vars or EnvVars()).for_functions([spec.name])[spec.name]
    try:
        environment = function_environment(
            eventbridge_url,
            spec.region,
            appsync_url=f"http://{endpoints.host}:{endpoints.appsync_port}",
            dynamodb_url=dynamodb_of_running_cloud(state_dir),
        )
        outcome = invoke_local(spec, event_path, extra_env=environment, overrides=overrides)
    except InvalidEvent as exc:
        raise InvokeError(str(exc)) from None
    return outcome.ok, outcome.response
