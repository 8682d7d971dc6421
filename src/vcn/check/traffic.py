"""A traffic profile (`--traffic traffic.yaml`): how many events, clients and requests a month brings.

    days_per_month: 30
    events:
      per_day: {<detail-type>: <count>, ...}
      active_hours_per_day: 12        # the events of a day arrive within these hours
      peak_factor: 5                  # the busiest second carries this many times the average rate
    clients:
      online: 300                     # clients connected at the same time
      hours_per_day: 8
      days_per_month: 22
      connects_per_day: 4             # per client
      channels: {<namespace>: <subscriptions per client>, ...}
      audience: {<namespace>: <subscribers a publish on a channel of it reaches>, ...}
      publishes_per_second: 0         # per client connection (WebSocket publishes)
      http_requests_per_day: {"<METHOD> <path>": <per client>, ...}
    functions:
      default: {duration_ms: 100}
      <FunctionLogicalId>: {duration_ms: 40, read_units: 0, write_units: 4}

Every mistake is reported with the key it is at and what is expected there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class TrafficError(ValueError):
    """The traffic profile cannot be read; the message names the key and what it should hold."""


@dataclass(frozen=True)
class FunctionLoad:
    duration_ms: float = 100.0
    read_units: float = 0.0  # DynamoDB read request units per invocation
    write_units: float = 0.0


@dataclass(frozen=True)
class TrafficProfile:
    days_per_month: float
    events_per_day: Mapping[str, float]
    active_hours_per_day: float
    peak_factor: float
    clients_online: float = 0
    client_hours_per_day: float = 0
    client_days_per_month: float = 0
    connects_per_day: float = 0
    channels: Mapping[str, float] = field(default_factory=dict)
    audience: Mapping[str, float] = field(default_factory=dict)
    publishes_per_second: float = 0
    http_requests_per_day: Mapping[str, float] = field(default_factory=dict)
    functions: Mapping[str, FunctionLoad] = field(default_factory=dict)

    def load_of(self, function: str) -> FunctionLoad:
        return self.functions.get(function) or self.functions.get("default") or FunctionLoad()


def _number(value: Any, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TrafficError(f"{where} must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise TrafficError(f"{where} must be {'positive' if positive else 'zero or more'}, got {value!r}")
    return float(value)


def _section(document: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, Mapping):
        raise TrafficError(f"{where}{key} must be a mapping of names to values")
    return value


def _counts(document: Mapping[str, Any], key: str, where: str) -> dict[str, float]:
    section = _section(document, key, where)
    return {str(name): _number(value, f"{where}{key}.{name}") for name, value in section.items()}


def parse_traffic(document: Any) -> TrafficProfile:
    if not isinstance(document, Mapping):
        raise TrafficError(
            "a traffic profile is a YAML mapping with days_per_month, events, clients, functions"
        )
    events = _section(document, "events", "")
    if "per_day" not in events:
        raise TrafficError("events.per_day is required: events a day by detail-type")
    clients = _section(document, "clients", "")
    functions: dict[str, FunctionLoad] = {}
    for name, load in _section(document, "functions", "").items():
        if not isinstance(load, Mapping):
            raise TrafficError(f"functions.{name} must be a mapping (duration_ms, read_units, write_units)")
        unknown = set(load) - {"duration_ms", "read_units", "write_units"}
        if unknown:
            raise TrafficError(f"functions.{name} has unknown keys {sorted(unknown)}")
        functions[str(name)] = FunctionLoad(
            **{key: _number(value, f"functions.{name}.{key}") for key, value in load.items()}
        )
    return TrafficProfile(
        days_per_month=_number(document.get("days_per_month", 30), "days_per_month", positive=True),
        events_per_day=_counts(events, "per_day", "events."),
        active_hours_per_day=_number(
            events.get("active_hours_per_day", 24), "events.active_hours_per_day", positive=True
        ),
        peak_factor=_number(events.get("peak_factor", 1), "events.peak_factor", positive=True),
        clients_online=_number(clients.get("online", 0), "clients.online"),
        client_hours_per_day=_number(clients.get("hours_per_day", 0), "clients.hours_per_day"),
        client_days_per_month=_number(clients.get("days_per_month", 0), "clients.days_per_month"),
        connects_per_day=_number(clients.get("connects_per_day", 0), "clients.connects_per_day"),
        channels=_counts(clients, "channels", "clients."),
        audience=_counts(clients, "audience", "clients."),
        publishes_per_second=_number(clients.get("publishes_per_second", 0), "clients.publishes_per_second"),
        http_requests_per_day=_counts(clients, "http_requests_per_day", "clients."),
        functions=functions,
    )


def read_traffic(path: Path) -> TrafficProfile:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrafficError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TrafficError(f"{path} is not YAML: {exc}") from None
    try:
        return parse_traffic(document)
    except TrafficError as exc:
        raise TrafficError(f"{path}: {exc}") from None
