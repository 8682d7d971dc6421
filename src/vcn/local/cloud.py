"""LocalCloud: starts every emulated service from template.yaml, in one process, and stops them cleanly.

Start order follows the dependencies: identity key -> template (with local endpoints and the identity
provider's issuer, audience and JWKS URL) -> Lambda workers -> EventBridge (replaying the template's rules,
connections and API destinations) -> AppSync Events -> HTTP API. `<state-dir>/local.json` appears only when
every endpoint accepts TCP connections and disappears first at shutdown. At shutdown EventBridge gets a grace
period for pending deliveries (what is left goes to the dead-letter queues) before AppSync stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vcn import event_loop
from vcn.appsync.server import AppSyncEventsServer
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.demo import run_demo
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.model import LambdaTarget
from vcn.eventbridge.server import EventBridgeServer
from vcn.eventbridge.service import EventBridgeService
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.heap import freeze_startup_heap
from vcn.httpapi import ApiServer, HttpRoute, JwtAuthorizerConfig
from vcn.identity import DevIdentityProvider, load_or_create_signing_key
from vcn.identity.provider import DEFAULT_AUDIENCE
from vcn.identity.routes import identity_routes
from vcn.lambda_runtime import LambdaRuntime
from vcn.local.aws_env import LOCAL_IAM_CREDENTIALS, function_environment
from vcn.local.function_dlq import FunctionDeadLetters
from vcn.local.ports import LocalPorts, PortInUse, assign_free_ports, check_ports_free
from vcn.local.state import load_or_create_api_key, local_document, remove_local_json, write_local_json
from vcn.template import load_stack, replay_eventbridge_calls
from vcn.template.model import LocalEndpoints, LocalStack

log = logging.getLogger("vcn.local")

API_KEY_LIFETIME_SECONDS = 365 * 86400
READY_TIMEOUT_SECONDS = 30.0


class LocalCloudError(Exception):
    """The local cloud cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    host: str
    port: int
    flag: str


def identity_overrides(issuer: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """The template parameters the local identity provider fills in, unless the user chose them."""
    defaults = {
        "TokenIssuer": issuer,
        "TokenAudience": DEFAULT_AUDIENCE,
        "JwksUrl": f"{issuer}/.well-known/jwks.json",
        # AWS accepts 1..365 days; just under a year keeps the key valid for any local session.
        "ApiKeyExpires": str(int(time.time()) + API_KEY_LIFETIME_SECONDS - 3600),
    }
    return {**defaults, **overrides}


def http_routes(stack: LocalStack) -> tuple[list[HttpRoute], str]:
    """The routes of every HTTP API of the template, served on one port; and the API id (first API)."""
    routes = [route for api in stack.http_apis for route in api.routes]
    return routes, stack.http_apis[0].api_id if stack.http_apis else "local"


async def wait_until_accepting(endpoints: list[Endpoint], timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    for endpoint in endpoints:
        while True:
            try:
                _, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
            except OSError:
                if time.monotonic() > deadline:
                    raise LocalCloudError(
                        f"{endpoint.name} on port {endpoint.port} does not accept connections"
                    ) from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            break


class LocalCloud:
    """Everything in one template, running on this machine."""

    def __init__(
        self,
        template: Path,
        *,
        host: str = "127.0.0.1",
        ports: LocalPorts | None = None,
        state_dir: Path = Path(".vcn"),
        parameter_overrides: Mapping[str, str] | None = None,
        eventbridge_settings: EventBridgeSettings | None = None,
        demo_rate: float | None = None,
        grace_seconds: float = 5.0,
        web_root: Path | None = None,
    ) -> None:
        self.template = Path(template)
        self.host = host
        self.requested_ports = ports or LocalPorts()
        self.state_dir = Path(state_dir)
        self.parameter_overrides = dict(parameter_overrides or {})
        self.eventbridge_settings = eventbridge_settings
        self.demo_rate = demo_rate
        self.grace_seconds = grace_seconds
        self.web_root = web_root if web_root is not None else self.template.resolve().parent / "web"
        self.ports = self.requested_ports
        self.stack: LocalStack | None = None
        self.runtime: LambdaRuntime | None = None
        self.eventbridge: EventBridgeServer | None = None
        self.appsync: list[AppSyncEventsServer] = []
        self.api: ApiServer | None = None
        self.document: dict[str, Any] | None = None
        self._demo: asyncio.Task[int] | None = None

    # ---- lifecycle

    def run(self) -> None:
        """Start, serve until SIGINT/SIGTERM, stop (the `vcn local up` foreground loop)."""
        event_loop.run(self._serve())

    async def _serve(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            freeze_startup_heap()
            log.info("ready: %s written; Ctrl-C to stop", self.state_dir / "local.json")
            await stop.wait()
            log.info("shutting down")
        finally:
            await self.stop()

    async def start(self) -> None:
        check_ports_free(self.requested_ports, self.host)
        self.ports = assign_free_ports(self.requested_ports, self.host)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        endpoints = LocalEndpoints(
            host=self.host,
            api_port=self.ports.api,
            eventbridge_port=self.ports.eventbridge,
            appsync_port=self.ports.appsync,
            appsync_tls_port=self.ports.appsync_tls,
            api_key_value=load_or_create_api_key(self.state_dir),
        )
        issuer = endpoints.api_url
        provider = DevIdentityProvider(load_or_create_signing_key(self.state_dir), issuer=issuer)
        overrides = identity_overrides(issuer, self.parameter_overrides)
        self.stack = stack = load_stack(self.template, endpoints=endpoints, parameter_overrides=overrides)
        log.info("template %s: %s", self.template, stack.unsupported_summary())
        for note in stack.notes:
            log.info("template: %s", note)
        eventbridge_url = f"http://{self.host}:{self.ports.eventbridge}"

        dead_letters = FunctionDeadLetters(DeadLetterStore(self.state_dir), self._lambda_targets)
        self.runtime = LambdaRuntime(
            stack.functions, extra_env=function_environment(eventbridge_url), on_async_failure=dead_letters
        )
        # Warm one worker per function now, so the first notification or request is not a cold start.
        await self.runtime.start(prewarm=True)

        service = EventBridgeService(
            LOCAL_ACCOUNT.account_id,
            LOCAL_ACCOUNT.region,
            state_dir=self.state_dir,
            invoker=self.runtime,
            settings=self.eventbridge_settings,
        )
        try:
            replay_eventbridge_calls(stack.eventbridge_calls, service.call)
        except EventBridgeError as exc:
            raise LocalCloudError(f"{self.template}: the local EventBridge refused it: {exc}") from exc
        self.eventbridge = EventBridgeServer(service)
        await self._bind(
            "EventBridge", "--eventbridge-port", self.eventbridge.start(self.host, self.ports.eventbridge)
        )

        if not stack.appsync_apis:
            raise LocalCloudError(f"{self.template} defines no AppSync Events API (AWS::AppSync::Api)")
        iam = LOCAL_IAM_CREDENTIALS
        for index, config in enumerate(stack.appsync_apis):
            server = AppSyncEventsServer(config, self.runtime, state_dir=self.state_dir, iam_credentials=iam)
            first = index == 0
            # Only the first API gets the configured ports; any further API listens on free ports.
            port = self.ports.appsync if first else 0
            tls_port = (
                self.ports.appsync_tls if first else (0 if self.ports.appsync_tls is not None else None)
            )
            await self._bind("AppSync Events", "--appsync-port", server.start(self.host, port, tls_port))
            self.appsync.append(server)

        routes, api_id = http_routes(stack)
        appsync = self.appsync[0]
        console = {
            "region": LOCAL_ACCOUNT.region,
            "appsync": {"http": appsync.http_url, "realtime": appsync.realtime_url},
            "api": issuer,
            "identity": "local",
        }
        self.api = ApiServer(
            routes,
            self.runtime,
            account_id=LOCAL_ACCOUNT.account_id,
            api_id=api_id,
            extra_routes=identity_routes(provider, lambda: console),
            web_root=self.web_root,
            jwks_source_for=lambda config: self._local_jwks(provider, config),
        )
        await self._bind("API", "--api-port", self.api.start(self.host, self.ports.api))

        ready = [
            Endpoint("API", self.host, self.ports.api, "--api-port"),
            Endpoint("EventBridge", self.host, self.ports.eventbridge, "--eventbridge-port"),
            Endpoint("AppSync Events", self.host, self.ports.appsync, "--appsync-port"),
        ]
        if self.ports.appsync_tls is not None:
            ready.append(
                Endpoint("AppSync Events TLS", self.host, self.ports.appsync_tls, "--appsync-tls-port")
            )
        await wait_until_accepting(ready)
        self.document = local_document(
            region=LOCAL_ACCOUNT.region,
            account=LOCAL_ACCOUNT.account_id,
            eventbridge=eventbridge_url,
            bus_name=stack.event_bus_name,
            appsync_http=appsync.http_url,
            appsync_realtime=appsync.realtime_url,
            api_key=appsync.config.api_keys[0].value if appsync.config.api_keys else "",
            appsync_https=appsync.https_url,
            appsync_wss=appsync.wss_url,
            api=issuer,
        )
        write_local_json(self.state_dir, self.document)
        self._announce()
        if self.demo_rate:
            self._demo = asyncio.get_running_loop().create_task(self._run_demo(service, stack.event_bus_name))

    async def stop(self) -> None:
        remove_local_json(self.state_dir)
        if self._demo is not None:
            self._demo.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._demo
        if self.api is not None:
            await self.api.stop()
        if self.eventbridge is not None:
            dead_lettered = await self.eventbridge.stop(grace_seconds=self.grace_seconds)
            if dead_lettered:
                log.warning(
                    "%d pending deliveries went to dead-letter queues (`vcn dlq list`)", dead_lettered
                )
        for server in self.appsync:
            await server.stop()
        if self.runtime is not None:
            await self.runtime.stop()
        log.info("stopped")

    # ---- helpers

    async def _bind(self, name: str, flag: str, starting: Any) -> None:
        try:
            await starting
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                port = {"--api-port": self.ports.api, "--eventbridge-port": self.ports.eventbridge}.get(
                    flag, self.ports.appsync
                )
                raise PortInUse(port, flag) from None
            raise LocalCloudError(f"{name} cannot listen on {self.host}: {exc}") from None

    def _lambda_targets(self) -> list[LambdaTarget]:
        """EventBridge's Lambda targets now (the runtime starts first: its failure hook asks when needed)."""
        return self.eventbridge.service.resources.lambda_targets() if self.eventbridge else []

    @staticmethod
    def _local_jwks(provider: DevIdentityProvider, config: JwtAuthorizerConfig) -> Any:
        """Tokens of the local issuer are checked against the local key without an HTTP round trip."""
        if config.issuer.rstrip("/") != provider.issuer.rstrip("/"):
            return None

        async def jwks() -> Mapping[str, Any]:
            return provider.jwks

        return jwks

    async def _run_demo(self, service: EventBridgeService, bus_name: str) -> int:
        async def put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
            return service.call("PutEvents", {"Entries": entries})

        return await run_demo(put_events, bus_name=bus_name, rate=self.demo_rate or 1.0, stop=asyncio.Event())

    def _announce(self) -> None:
        document = self.document or {}
        appsync = document.get("appsync", {})
        lines = [
            "local cloud is up",
            f"  console      {document.get('console')}",
            f"  HTTP API     {document.get('api')}   (JWKS {document.get('jwks')})",
            f"  EventBridge  {document.get('eventbridge')}   bus {document.get('eventBusName')}",
            f"  AppSync      {appsync.get('http')}   {appsync.get('realtime')}",
        ]
        if appsync.get("https"):
            lines.append(f"  AppSync TLS  {appsync.get('https')}   {appsync.get('wss')}")
        lines += [
            "try:",
            "  .venv/bin/vcn subscribe '/markets/DE/*' --user analyst-de",
            "  .venv/bin/vcn emit events/put-events/<file>.json",
        ]
        if self.demo_rate:
            lines.append(f"demo stream on: {self.demo_rate:g} business events per second")
        for line in lines:
            log.info("%s", line)
