"""What the local cloud runs, as read from template.yaml: plain dataclasses with every intrinsic resolved."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vcn.appsync.config import EventApiConfig

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "000000000000"
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
class FunctionSpec:
    """One Lambda function (AWS::Lambda::Function after the SAM transform); locally named by logical id."""

    name: str
    code_dir: Path
    handler: str
    runtime: str = "python3.13"
    architecture: str = "x86_64"
    timeout: int = 3
    memory: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    dead_letter_arn: str | None = None  # DeadLetterConfig.TargetArn: where failed async invocations go
    region: str = LOCAL_REGION
    account: str = LOCAL_ACCOUNT

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


@dataclass(frozen=True)
class JwtAuthorizer:
    """An HTTP API JWT authorizer: tokens must be signed by `issuer` and carry one of `audience`."""

    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_source: str = "$request.header.Authorization"


@dataclass(frozen=True)
class HttpRoute:
    """`method path` -> function; method upper case or `ANY`; path may hold `{param}`, `{proxy+}`."""

    method: str
    path: str
    function: str  # function name (logical id)
    authorizer: str | None = None  # JwtAuthorizer.name, None = open route
    authorization_scopes: tuple[str, ...] = ()
    payload_format_version: str = "2.0"

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class HttpApiSpec:
    """One API Gateway API (HTTP API, or a REST API served with the same routing) and its authorizers."""

    logical_id: str
    api_id: str
    kind: Literal["HTTP", "REST"] = "HTTP"
    stage: str = "$default"
    routes: tuple[HttpRoute, ...] = ()
    authorizers: tuple[JwtAuthorizer, ...] = ()
    cors: dict[str, Any] | None = None

    def authorizer(self, name: str) -> JwtAuthorizer | None:
        return next((a for a in self.authorizers if a.name == name), None)


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
    http_apis: list[HttpApiSpec] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    event_bus_name: str = "default"
    parameters: dict[str, Any] = field(default_factory=dict)
    unsupported: list[UnsupportedResource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def function(self, name: str) -> FunctionSpec:
        """The function with that logical id (or local ARN); a user-facing error lists the known ones."""
        bare = name.split(":")[6] if name.startswith("arn:") and len(name.split(":")) >= 7 else name
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
