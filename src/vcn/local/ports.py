"""Ports of the local cloud: defaults, `--port-base`, free ports for tests, and the port-in-use check."""

from __future__ import annotations

import contextlib
import errno
import socket
from dataclasses import dataclass, replace

DEFAULT_API_PORT = 4000
DEFAULT_EVENTBRIDGE_PORT = 4010
DEFAULT_APPSYNC_PORT = 4020
DEFAULT_APPSYNC_TLS_PORT = 4021
DEFAULT_DYNAMODB_PORT = 4030
MAX_PORT = 65535
# `--port-base N` uses N to N + BASE_SPAN (see LocalPorts.from_base).
BASE_SPAN = 30


class PortInUse(Exception):
    """A port the local cloud needs is taken; the message names the port and the flag that moves it."""

    def __init__(self, port: int, flag: str) -> None:
        super().__init__(f"port {port} is in use; pass {flag} to choose another")
        self.port = port
        self.flag = flag


@dataclass(frozen=True)
class LocalPorts:
    """The listening ports (0 = any free port); `appsync_tls` None turns the TLS listener off.

    DynamoDB listens only for a template with tables, so its port is checked when it starts, not up front."""

    api: int = DEFAULT_API_PORT
    eventbridge: int = DEFAULT_EVENTBRIDGE_PORT
    appsync: int = DEFAULT_APPSYNC_PORT
    appsync_tls: int | None = DEFAULT_APPSYNC_TLS_PORT
    dynamodb: int = DEFAULT_DYNAMODB_PORT

    @classmethod
    def from_base(cls, base: int, tls: bool = True) -> LocalPorts:
        """`--port-base 5000` -> api 5000, eventbridge 5010, appsync 5020, TLS 5021, dynamodb 5030."""
        return cls(base, base + 10, base + 20, base + 21 if tls else None, base + BASE_SPAN)

    def flags(self) -> list[tuple[str, int]]:
        """The ports every template needs, with the flag that moves each."""
        pairs = [
            ("--api-port", self.api),
            ("--eventbridge-port", self.eventbridge),
            ("--appsync-port", self.appsync),
        ]
        if self.appsync_tls is not None:
            pairs.append(("--appsync-tls-port", self.appsync_tls))
        return pairs


def port_problem(flag: str, port: int) -> str | None:
    """Why `port`, given with `flag`, is no port to listen on (None: it is one; 0 asks for any free port)."""
    if 0 <= port <= MAX_PORT:
        return None
    return f"{flag} must be a port from 1 to {MAX_PORT}, or 0 for any free port (got {port})"


def port_base_problem(base: int) -> str | None:
    """Why `--port-base base` cannot be used: every port it gives, base to base + BASE_SPAN, must exist."""
    if 1 <= base <= MAX_PORT - BASE_SPAN:
        return None
    return (
        f"--port-base must be from 1 to {MAX_PORT - BASE_SPAN}, as it uses ports N to N+{BASE_SPAN} "
        f"(got {base})"
    )


def assign_free_ports(ports: LocalPorts, host: str) -> LocalPorts:
    """Replace every 0 with a free port now: the template needs the real ports before the servers start.

    Each probe stays bound until all are chosen: a probe closed before the next one binds can be handed the
    same port again by the kernel (3 runs of five in 3,000 here), and two services would then share it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with contextlib.ExitStack() as probes:

        def free() -> int:
            probe = probes.enter_context(socket.socket(family, socket.SOCK_STREAM))
            probe.bind((host, 0))
            return int(probe.getsockname()[1])

        return replace(
            ports,
            api=ports.api or free(),
            eventbridge=ports.eventbridge or free(),
            appsync=ports.appsync or free(),
            appsync_tls=None if ports.appsync_tls is None else ports.appsync_tls or free(),
            dynamodb=ports.dynamodb or free(),
        )


def check_ports_free(ports: LocalPorts, host: str) -> None:
    """Raise PortInUse for the first port another process already listens on."""
    seen: dict[int, str] = {}
    for flag, port in ports.flags():
        if port == 0:  # any free port: assigned later
            continue
        if port in seen:
            raise PortInUse(port, flag) from None
        seen[port] = flag
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
            # SO_REUSEADDR as the servers use it, so a port in TIME_WAIT is not reported as taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    raise PortInUse(port, flag) from None
                raise
