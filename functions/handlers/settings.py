"""Each function's settings: the environment variables it reads, declared once and parsed once at cold start.

A handler module calls `read_settings(<its settings class>)` at import, so a missing or malformed variable
fails the function's init with a `SettingsError` naming the variable and what to set it to, instead of
failing a request later. template.yaml sets the variables in each function's `Environment`; on the local
cloud, `vcn local up --env-vars FILE` adds or overrides them per function.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Settings = TypeVar("Settings", bound="DataclassInstance")

_VARIABLE = "variable"
WHERE_TO_SET = (
    "A function gets them from its Environment in template.yaml "
    "(on the local cloud, --env-vars FILE adds more)."
)


class SettingsError(RuntimeError):
    """The environment lacks a variable the function needs, or holds one that does not parse."""


def text(raw: str) -> str:
    return raw


def seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError("a number of seconds (0 or more)")
    return value


def days(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        raise ValueError("a whole number of days (1 or more)")
    return int(raw)


def enabled_or_disabled(raw: str) -> bool:
    if raw not in ("enabled", "disabled"):
        raise ValueError("`enabled` or `disabled`")
    return raw == "enabled"


@dataclass(frozen=True)
class Variable:
    """Where a settings field comes from, how it parses, and what to tell whoever must set it."""

    name: str
    meaning: str
    parse: Callable[[str], Any] = text


def variable(
    name: str, meaning: str, *, parse: Callable[[str], Any] = text, default: Any = dataclasses.MISSING
) -> Any:
    """A settings field read from the environment variable `name`; without `default` it is required."""
    return dataclasses.field(default=default, metadata={_VARIABLE: Variable(name, meaning, parse)})


def read_settings(cls: type[Settings], environ: Mapping[str, str] = os.environ) -> Settings:
    """`cls` with every field read from `environ`; a `SettingsError` lists every problem at once."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in dataclasses.fields(cls):
        source: Variable = field.metadata[_VARIABLE]
        raw = environ.get(source.name, "")
        if raw == "":  # an empty value is what a template's empty parameter gives: as good as none
            if field.default is dataclasses.MISSING:
                problems.append(f"{source.name} is not set; set it to {source.meaning}")
            continue
        try:
            values[field.name] = source.parse(raw)
        except ValueError as expected:
            problems.append(f"{source.name} is {raw!r}, not {expected}; set it to {source.meaning}")
    if problems:
        raise SettingsError(f"{cls.__name__}: {'; '.join(problems)}. {WHERE_TO_SET}")
    return cls(**values)


def _event_bus_name() -> Any:
    return variable("EVENT_BUS_NAME", "the name of the event bus the function publishes to")


@dataclass(frozen=True, kw_only=True)
class ConfigurationApiSettings:
    """The configuration API publishes to the bus and waits for replies on AppSync Events."""

    event_bus_name: str = _event_bus_name()
    events_http_url: str = variable("EVENTS_HTTP_URL", "the AppSync Events endpoint https://<host>/event")
    events_realtime_url: str = variable(
        "EVENTS_REALTIME_URL", "the AppSync Events endpoint wss://<host>/event/realtime"
    )
    region: str = variable("AWS_REGION", "the region of the AppSync Events API", default="")


@dataclass(frozen=True, kw_only=True)
class ValidationWorkerSettings:
    """The validation worker publishes to the bus; fault injection is for local tests only."""

    event_bus_name: str = _event_bus_name()
    fault_injection: bool = variable(
        "VALIDATION_FAULT_INJECTION",
        "`enabled` only on a local test cloud (adapters.fault_injection), and leave it unset anywhere else",
        parse=enabled_or_disabled,
        default=False,
    )


@dataclass(frozen=True, kw_only=True)
class SupplyIngressSettings:
    """The supply ingress puts checked supply events on the bus and refused ones in the rejected queue."""

    event_bus_name: str = _event_bus_name()
    rejected_queue_url: str = variable(
        "REJECTED_QUEUE_URL", "the URL of the SQS queue that keeps refused supply events, with the reasons"
    )


@dataclass(frozen=True, kw_only=True)
class AuthorizerSettings:
    """The authorizer trusts tokens of one issuer and audience, signed by a key from one JWKS."""

    jwks_url: str = variable("JWKS_URL", "the URL of the identity provider's JSON Web Key Set")
    token_issuer: str = variable("TOKEN_ISSUER", "the iss claim the identity provider puts in tokens")
    token_audience: str = variable("TOKEN_AUDIENCE", "the aud claim the tokens must carry")
    jwks_refresh_cooldown_seconds: float = variable(
        "JWKS_REFRESH_COOLDOWN_SECONDS",
        "the seconds to wait between JWKS fetches for unknown key ids",
        parse=seconds,
        default=0.0,
    )


def _history_table_name() -> Any:
    return variable("HISTORY_TABLE_NAME", "the name of the notification history table")


def _history_retention_days() -> Any:
    return variable(
        "HISTORY_RETENTION_DAYS",
        "the days the history keeps a notification (HistoryRetentionDays)",
        parse=days,
    )


@dataclass(frozen=True, kw_only=True)
class HistoryRecorderSettings:
    """The recorder writes every published notification to the history table, expiring after the retention."""

    table_name: str = _history_table_name()
    retention_days: int = _history_retention_days()


@dataclass(frozen=True, kw_only=True)
class HistoryApiSettings:
    """The history API reads the table and keeps each user's read state in it, for as long as the history."""

    table_name: str = _history_table_name()
    retention_days: int = _history_retention_days()


@dataclass(frozen=True, kw_only=True)
class ApiKeyKeeperSettings:
    """The keeper extends the API keys of one AppSync Events API."""

    events_api_id: str = variable("EVENTS_API_ID", "the id of the AppSync Events API whose keys it extends")
