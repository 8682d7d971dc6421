"""What the local cloud runs, as read from template.yaml: plain dataclasses with every intrinsic resolved."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vcn.appsync.config import EventApiConfig
from vcn.arns import function_name
from vcn.cloudwatch.config import AlarmConfig
from vcn.dynamodb.config import TableConfig
from vcn.httpapi.config import HttpApiConfig
from vcn.lambda_runtime.config import FunctionSpec
from vcn.scheduler.config import ScheduleConfig

if TYPE_CHECKING:
    from .view import TemplateView

LOCAL_STACK_NAME = "vcn-local"
DEFAULT_API_KEY_VALUE = "da2-vcnlocaldevelopmentapikey0"


@dataclass(frozen=True)
class LocalEndpoints:
    """Where the local services listen: AWS-only template values (DNS names, keys) resolve to these."""

    host: str = "127.0.0.1"
    api_port: int = 4000
    eventbridge_port: int = 4010
    appsync_port: int = 4020
    appsync_tls_port: int | None = 4021
    api_key_value: str = DEFAULT_API_KEY_VALUE

    @property
    def appsync_dns(self) -> str:
        """What `!GetAtt Api.Dns.Http` / `Dns.Realtime` become: `host:port`, like the AWS host name."""
        return f"{self.host}:{self.appsync_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def plain_ports(self) -> tuple[int, ...]:
        """Ports that speak plain HTTP/WS, so `https://`/`wss://` URLs pointing at them are rewritten."""
        return (self.api_port, self.eventbridge_port, self.appsync_port)


@dataclass(frozen=True)
class UnsupportedResource:
    """A resource the local cloud does not emulate (it is skipped, and said so once at start)."""

    logical_id: str
    resource_type: str
    effect: str


@dataclass
class LocalStack:
    """Everything `vcn local up` needs from the template, resolved for local endpoints."""

    template_path: Path
    functions: list[FunctionSpec] = field(default_factory=list)
    eventbridge_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    appsync_apis: list[EventApiConfig] = field(default_factory=list)
    http_apis: list[HttpApiConfig] = field(default_factory=list)
    dynamodb_tables: list[TableConfig] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    alarms: list[AlarmConfig] = field(default_factory=list)
    schedules: list[ScheduleConfig] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    event_bus_name: str = "default"
    parameters: dict[str, Any] = field(default_factory=dict)
    unsupported: list[UnsupportedResource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The whole translated template, for tools that check it (`vcn check`); the services never read it.
    view: TemplateView | None = None

    def function(self, name: str) -> FunctionSpec:
        """The function with that logical id (or local ARN); a user-facing error lists the known ones."""
        bare = function_name(name)
        for spec in self.functions:
            if spec.name == bare:
                return spec
        known = ", ".join(spec.name for spec in self.functions) or "none"
        raise LookupError(f"No function named {name!r} in {self.template_path} (functions: {known})")

    def unsupported_summary(self) -> str:
        """One line for the start-up log: which resource types are skipped, how many, and what that means."""
        if not self.unsupported:
            return "every resource in the template is emulated"
        counts = Counter(item.resource_type for item in self.unsupported)
        effects = {item.resource_type: item.effect for item in self.unsupported}
        parts = [f"{rtype} x{count} ({effects[rtype]})" for rtype, count in sorted(counts.items())]
        return f"not emulated, skipped: {'; '.join(parts)}"
