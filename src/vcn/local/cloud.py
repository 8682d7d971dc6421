"""The local cloud's lifecycle: every emulated service of one template, started in one process, as one unit.

`running_cloud(config)` is an async context manager. It first takes the state folder's lock (one cloud per
folder; a local.json left by a killed cloud is dropped), then starts, in dependency order, the identity key,
DynamoDB (when the template has tables: a child process that replays its journal while the rest starts), the
template (resolved for the local endpoints, with the app profile's parameter values), the Lambda workers,
the template's tables, the HTTP API (it serves the identity's JWKS, which AppSync's authorizers read), AppSync
Events, EventBridge (replaying the template's buses, connections, API destinations and rules) and the local
CloudWatch (the services' metrics and the template's alarms, on a clock `time_scale` can speed up); waits
until every endpoint accepts connections; writes
`<state-dir>/local.json`; and yields a frozen `RunningCloud`. On exit, or on any failure while starting, what
was started stops in reverse order: `local.json` disappears first, EventBridge gets a grace period for pending
deliveries (the rest stay in its journal and resume at the next start) while AppSync is still up, the Lambda
workers stop after their pending asynchronous invocations (the rest stay in their durable queue and run once
every endpoint listens at the next start), DynamoDB (which those may still write to) stops, and the lock goes
last.

`serve(config)` is the `vcn local up` foreground loop around it: SIGINT, SIGTERM and SIGHUP (the terminal
closed) all stop it the same clean way.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcn import event_loop
from vcn.appsync.server import AppSyncEventsServer
from vcn.aws_account import LOCAL_ACCOUNT, LocalAccount
from vcn.clock import Clock, clock_for
from vcn.cloudwatch import LocalCloudWatch, cloudwatch_routes
from vcn.dynamodb import (
    DynamoDbClient,
    DynamoDbError,
    DynamoDbSettings,
    DynamoDbUnavailable,
    LocalDynamoDb,
    TableMismatch,
    ensure_tables,
)
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.errors import EventBridgeError
from vcn.eventbridge.journal import JournalError
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
from vcn.lambda_runtime.async_queue import AsyncInvocationQueue, AsyncQueueError, async_queue_path
from vcn.lambda_runtime.runtime import LAMBDA_RETRY_DELAYS
from vcn.local.aws_env import LOCAL_IAM_CREDENTIALS, function_environment
from vcn.local.demo import run_demo
from vcn.local.env_vars import EnvVars
from vcn.local.function_dlq import FunctionDeadLetters
from vcn.local.metric_sources import (
    AppSyncApiMetrics,
    EventBridgeRuleMetrics,
    LambdaFunctionMetrics,
    QueueDepthMetrics,
)
from vcn.local.ports import LocalPorts, PortInUse, assign_free_ports, check_ports_free
from vcn.local.profile import NO_PROFILE, AppProfile, LocalIdentity
from vcn.local.state import (
    StateDirInUse,
    claim_state_dir,
    load_or_create_api_key,
    local_document,
    remove_local_json,
    write_local_json,
)
from vcn.scheduler import InvalidSchedule, SchedulerService
from vcn.template import declares_tables, load_stack, replay_eventbridge_calls
from vcn.template.model import LocalEndpoints, LocalStack

log = logging.getLogger("vcn.local")

READY_TIMEOUT_SECONDS = 30.0
# Ctrl-C, `kill` and a closed terminal: the same orderly shutdown each (grace for pending deliveries).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _async_queue(state_dir: Path) -> AsyncInvocationQueue:
    try:
        return AsyncInvocationQueue(async_queue_path(state_dir))
    except AsyncQueueError as exc:
        raise LocalCloudError(str(exc)) from None


class LocalCloudError(Exception):
    """The local cloud cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class LocalCloudConfig:
    """What to run and where: one template, its project's app profile, the ports and the state folder."""

    template: Path
    host: str = "127.0.0.1"
    ports: LocalPorts = field(default_factory=LocalPorts)
    state_dir: Path = Path(".vcn")
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    # `--env-vars`: variables per function that win over the template's (local experiments, tests)
    env_vars: EnvVars = field(default_factory=EnvVars)
    eventbridge_settings: EventBridgeSettings | None = None
    dynamodb_settings: DynamoDbSettings = field(default_factory=DynamoDbSettings)
    # Waits before the retries of a failed asynchronous invocation (Lambda: 1 then 2 minutes)
    lambda_retry_delays: tuple[float, ...] = LAMBDA_RETRY_DELAYS
    grace_seconds: float = 5.0
    profile: AppProfile = NO_PROFILE
    account: LocalAccount = LOCAL_ACCOUNT
    # `--time-scale`: cloud seconds per real second for schedules (scheduled rules, EventBridge Scheduler) and
    # CloudWatch's periods and alarm evaluations; deliveries and retries keep real time.
    time_scale: float = 1.0
    clock: Clock | None = None  # tests may bring their own; otherwise `clock_for(time_scale)`

    @property
    def project_dir(self) -> Path:
        return self.template.resolve().parent

    @property
    def web_root(self) -> Path | None:
        return self.project_dir / self.profile.web_root if self.profile.web_root else None


@dataclass(frozen=True)
class RunningCloud:
    """The services of a started local cloud, and the `local.json` document that describes them."""

    config: LocalCloudConfig
    ports: LocalPorts
    stack: LocalStack
    identity: DevIdentityProvider
    runtime: LambdaRuntime
    eventbridge: EventBridgeServer
    scheduler: SchedulerService
    appsync: tuple[AppSyncEventsServer, ...]
    api: ApiServer
    cloudwatch: LocalCloudWatch
    dynamodb: LocalDynamoDb | None
    document: Mapping[str, Any]

    @property
    def bus_name(self) -> str:
        return self.stack.event_bus_name


@dataclass(frozen=True)
class _Listener:
    name: str
    port: int
    flag: str


def local_identity(provider: DevIdentityProvider) -> LocalIdentity:
    return LocalIdentity(issuer=provider.issuer, audience=provider.audience, jwks_url=provider.jwks_url)


def template_parameters(profile: AppProfile, provider: DevIdentityProvider) -> dict[str, str]:
    """The profile's local parameter values (the user's overrides win over them)."""
    return dict(profile.local_parameters(local_identity(provider)))


def http_routes(stack: LocalStack) -> tuple[list[HttpRoute], str]:
    """The routes of every HTTP API of the template, served on one port; and the API id (first API)."""
    routes = [route for api in stack.http_apis for route in api.routes]
    return routes, stack.http_apis[0].api_id if stack.http_apis else "local"


async def wait_until_accepting(
    host: str, listeners: list[_Listener], timeout: float = READY_TIMEOUT_SECONDS
) -> None:
    deadline = time.monotonic() + timeout
    for listener in listeners:
        while True:
            try:
                _, writer = await asyncio.open_connection(host, listener.port)
            except OSError:
                if time.monotonic() > deadline:
                    raise LocalCloudError(
                        f"{listener.name} on port {listener.port} does not accept connections"
                    ) from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            break


async def _listen(name: str, host: str, port: int | None, flag: str, starting: Awaitable[Any]) -> None:
    """Await a server's start; a taken port becomes PortInUse naming the flag that moves it."""
    try:
        await starting
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE and port:
            raise PortInUse(port, flag) from None
        raise LocalCloudError(f"{name} cannot listen on {host}: {exc}") from None


def _local_jwks(provider: DevIdentityProvider, config: JwtAuthorizerConfig) -> Any:
    """Tokens of the local issuer are checked against the local key without an HTTP round trip."""
    if config.issuer.rstrip("/") != provider.issuer.rstrip("/"):
        return None

    async def jwks() -> Mapping[str, Any]:
        return provider.jwks

    return jwks


def _appsync_endpoints(server: AppSyncEventsServer) -> dict[str, Any]:
    keys = server.config.api_keys
    return {
        "http": server.http_url,
        "realtime": server.realtime_url,
        "apiKey": keys[0].value if keys else "",
        # Without the TLS listener the secure URLs are null rather than missing: the key set stays fixed.
        "https": server.https_url,
        "wss": server.wss_url,
    }


def _announce_alarms(cloudwatch: LocalCloudWatch, scale: float) -> None:
    count = len(cloudwatch.monitor.alarms)
    if not count:
        return
    pace = "" if scale == 1 else f"; cloud time runs {scale:g}x (a minute passes in {60 / scale:.3g} s)"
    log.info("CloudWatch: %d alarm(s), each evaluated every minute of cloud time%s", count, pace)


async def _stop_dynamodb(dynamodb: LocalDynamoDb, starting: asyncio.Task[None]) -> None:
    if not starting.done():
        starting.cancel()
    with contextlib.suppress(asyncio.CancelledError, DynamoDbUnavailable):
        await starting
    await dynamodb.stop()


async def _dynamodb_ready(
    dynamodb: LocalDynamoDb, starting: asyncio.Task[None], stack: LocalStack, region: str
) -> None:
    """Wait for DynamoDB's start, then make the template's tables exist as declared."""
    try:
        await starting
    except DynamoDbUnavailable as exc:
        if exc.reason == "port_in_use":
            raise PortInUse(dynamodb.port, "--dynamodb-port") from None
        raise LocalCloudError(f"DynamoDB: {exc}") from None
    client = DynamoDbClient(dynamodb.url, region)
    try:
        await ensure_tables(client, stack.dynamodb_tables)
    except TableMismatch as exc:
        raise LocalCloudError(str(exc)) from None
    except DynamoDbError as exc:
        raise LocalCloudError(f"{stack.template_path}: the local DynamoDB refused a table: {exc}") from None
    finally:
        await client.close()


async def _stop_eventbridge(server: EventBridgeServer, grace_seconds: float) -> None:
    report = await server.stop(grace_seconds=grace_seconds)
    if report.dead_lettered:
        log.warning("%d pending deliveries went to dead-letter queues (`vcn dlq list`)", report.dead_lettered)


@contextlib.asynccontextmanager
async def running_cloud(config: LocalCloudConfig) -> AsyncIterator[RunningCloud]:
    """Start everything in `config.template`; stop it all, in reverse order, when the block exits."""
    async with contextlib.AsyncExitStack() as started:
        # The state folder's lock comes first and goes last: while anything of this cloud runs, a second
        # `vcn local up` on the folder is refused, and no CLI trusts a local.json whose cloud is gone.
        try:
            lock = started.enter_context(claim_state_dir(config.state_dir))
        except StateDirInUse as exc:
            raise LocalCloudError(str(exc)) from None
        host = config.host
        check_ports_free(config.ports, host)
        ports = assign_free_ports(config.ports, host)
        endpoints = LocalEndpoints(
            host=host,
            api_port=ports.api,
            eventbridge_port=ports.eventbridge,
            appsync_port=ports.appsync,
            appsync_tls_port=ports.appsync_tls,
            api_key_value=load_or_create_api_key(config.state_dir),
        )
        provider = DevIdentityProvider(
            load_or_create_signing_key(config.state_dir), issuer=endpoints.api_url, audience=DEFAULT_AUDIENCE
        )
        dynamodb: LocalDynamoDb | None = None
        if declares_tables(config.template):
            # Started early, so it stops late: the Lambda workers' pending invocations may still write to it.
            # It starts slowest (imports, journal replay), so it does so while the template is resolved and
            # the rest starts; its tables are made before local.json is written.
            dynamodb = LocalDynamoDb(
                state_dir=config.state_dir,
                host=host,
                port=ports.dynamodb,
                account=config.account.account_id,
                region=config.account.region,
                settings=config.dynamodb_settings,
            )
            dynamodb_starting = asyncio.get_running_loop().create_task(dynamodb.start())
            started.push_async_callback(_stop_dynamodb, dynamodb, dynamodb_starting)
        stack = await asyncio.to_thread(
            load_stack,
            config.template,
            endpoints=endpoints,
            parameter_overrides=config.parameter_overrides,
            parameter_defaults=template_parameters(config.profile, provider),
            account=config.account,
        )
        log.info("template %s: %s", config.template, stack.unsupported_summary())
        for note in stack.notes:
            log.info("template: %s", note)
        if dynamodb is not None and not stack.dynamodb_tables:  # every table's Condition is false
            await _stop_dynamodb(dynamodb, dynamodb_starting)
            dynamodb = None
        eventbridge_url = f"http://{host}:{ports.eventbridge}"
        clock = config.clock or clock_for(config.time_scale)
        cloudwatch = LocalCloudWatch(stack.alarms, clock=clock)

        def lambda_targets() -> list[LambdaTarget]:
            # Asked when a function fails, so rules created later through the API count too.
            return service.resources.lambda_targets()

        runtime = LambdaRuntime(
            stack.functions,
            extra_env=function_environment(
                eventbridge_url,
                config.account.region,
                appsync_url=f"http://{host}:{ports.appsync}",
                dynamodb_url=dynamodb.url if dynamodb else None,
            ),
            environment_overrides=config.env_vars.for_functions(spec.name for spec in stack.functions),
            on_async_failure=FunctionDeadLetters(DeadLetterStore(config.state_dir), lambda_targets),
            on_output=cloudwatch.embedded.capture,
            async_retry_delays=config.lambda_retry_delays,
            queue=_async_queue(config.state_dir),
        )
        started.push_async_callback(runtime.stop)
        # Warm one worker per function now, so the first notification or request is not a cold start.
        await runtime.start(prewarm=True)

        appsync: list[AppSyncEventsServer] = []
        for api_config in stack.appsync_apis:
            server = AppSyncEventsServer(
                api_config, runtime, state_dir=config.state_dir, iam_credentials=LOCAL_IAM_CREDENTIALS
            )
            started.push_async_callback(server.stop)
            appsync.append(server)
        first_api = appsync[0] if appsync else None

        # What the AppSync APIs' authorizers and handlers reach must answer before they take a connection:
        # the tables (the recorder writes there) and the HTTP API, which serves the identity's JWKS. A
        # console reconnecting the moment the port opens would otherwise be refused for good.
        if dynamodb is not None:
            await _dynamodb_ready(dynamodb, dynamodb_starting, stack, config.account.region)
        routes, api_id = http_routes(stack)

        def browser_config() -> dict[str, Any]:
            return {
                "region": config.account.region,
                "appsync": (
                    {"http": first_api.http_url, "realtime": first_api.realtime_url} if first_api else None
                ),
                "api": endpoints.api_url,
                "identity": "local",
            }

        api = ApiServer(
            routes,
            runtime,
            api_id=api_id,
            account_id=config.account.account_id,
            extra_routes=identity_routes(provider, config.profile.demo_users, browser_config),
            web_root=config.web_root,
            jwks_source_for=lambda authorizer: _local_jwks(provider, authorizer),
        )
        started.push_async_callback(api.stop)
        await _listen("API", host, ports.api, "--api-port", api.start(host, ports.api))

        for index, server in enumerate(appsync):
            # Only the first API gets the configured ports; any further API listens on free ports.
            first = index == 0
            port = ports.appsync if first else 0
            tls_port = ports.appsync_tls if first else (0 if ports.appsync_tls is not None else None)
            await _listen("AppSync Events", host, port, "--appsync-port", server.start(host, port, tls_port))

        if config.time_scale != 1:
            log.info(
                "schedules and alarms run on a clock %gx as fast as the wall clock (--time-scale)",
                config.time_scale,
            )
        try:
            service = EventBridgeService(
                config.account.account_id,
                config.account.region,
                state_dir=config.state_dir,
                invoker=runtime,
                settings=config.eventbridge_settings,
                clock=clock,
            )
        except JournalError as exc:
            raise LocalCloudError(str(exc)) from exc
        try:
            await replay_eventbridge_calls(stack.eventbridge_calls, service.call)
        except EventBridgeError as exc:
            raise LocalCloudError(f"{config.template}: the local EventBridge refused it: {exc}") from exc
        for source in (
            EventBridgeRuleMetrics(service),
            QueueDepthMetrics(service.dead_letters, stack.queues),
            LambdaFunctionMetrics(runtime),
            AppSyncApiMetrics(appsync),
        ):
            cloudwatch.add_source(source)
        eventbridge = EventBridgeServer(service, extra_routes=cloudwatch_routes(cloudwatch))
        started.push_async_callback(_stop_eventbridge, eventbridge, config.grace_seconds)
        # Then what was created through the API before the last stop (the template wins on a name clash),
        # the deliveries a previous run left in the journal (before PutEvents is served, so that only the
        # previous run's rows are resumed), and the scheduled rules start.
        service.start()
        cloudwatch.check_alarms()
        await _listen(
            "EventBridge",
            host,
            ports.eventbridge,
            "--eventbridge-port",
            eventbridge.start(host, ports.eventbridge),
        )

        async def put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
            return await service.call("PutEvents", {"Entries": entries})

        settings = service.settings
        try:
            scheduler = SchedulerService(
                stack.schedules,
                clock=clock,
                state_dir=config.state_dir,
                invoker=runtime,
                put_events=put_events,
                dead_letters=DeadLetterStore(config.state_dir),
                retry_base_seconds=settings.retry_base_seconds,
                retry_max_backoff_seconds=settings.retry_max_backoff_seconds,
            )
        except InvalidSchedule as exc:
            raise LocalCloudError(f"{config.template}: {exc}") from None
        # Stopped before EventBridge, so the last executions can still put their events on a bus.
        started.push_async_callback(scheduler.stop, config.grace_seconds)
        scheduler.start()

        listeners = [
            _Listener("API", ports.api, "--api-port"),
            _Listener("EventBridge", ports.eventbridge, "--eventbridge-port"),
        ]
        if appsync:
            listeners.append(_Listener("AppSync Events", ports.appsync, "--appsync-port"))
            if ports.appsync_tls is not None:
                listeners.append(_Listener("AppSync Events TLS", ports.appsync_tls, "--appsync-tls-port"))
        await wait_until_accepting(host, listeners)
        # What Lambda had accepted before a crash or a stop runs again now that what it calls is listening.
        runtime.resume()
        _announce_alarms(cloudwatch, 1 / clock.real_seconds(1.0))
        await cloudwatch.start()
        started.push_async_callback(cloudwatch.stop)
        document = local_document(
            region=config.account.region,
            account=config.account.account_id,
            eventbridge=eventbridge_url,
            bus_name=stack.event_bus_name,
            appsync=_appsync_endpoints(first_api) if first_api else None,
            api=endpoints.api_url,
            dynamodb=dynamodb.url if dynamodb else None,
            queues=stack.queues,
            profile=None if config.profile.is_bare else config.profile.name,
        )
        write_local_json(config.state_dir, document)
        # Registered last, so they run first: no client finds endpoints that are going away, and a second
        # `vcn local up` meanwhile is told this one is stopping, not starting.
        started.callback(remove_local_json, config.state_dir)
        started.callback(lock.mark_stopping)
        yield RunningCloud(
            config=config,
            ports=ports,
            stack=stack,
            identity=provider,
            runtime=runtime,
            eventbridge=eventbridge,
            scheduler=scheduler,
            appsync=tuple(appsync),
            api=api,
            cloudwatch=cloudwatch,
            dynamodb=dynamodb,
            document=document,
        )


def announce(cloud: RunningCloud, demo_rate: float | None = None) -> None:
    """Where everything listens, then the profile's hints: what `vcn local up` prints once ready."""
    document = cloud.document
    appsync = document.get("appsync") or {}
    lines = ["local cloud is up"]
    if cloud.config.web_root is not None:
        lines.append(f"  console      {document.get('console')}")
    lines += [
        f"  HTTP API     {document.get('api')}   (JWKS {document.get('jwks')})",
        f"  EventBridge  {document.get('eventbridge')}   bus {document.get('eventBusName')}",
    ]
    if appsync:
        lines.append(f"  AppSync      {appsync.get('http')}   {appsync.get('realtime')}")
    if appsync.get("https"):
        lines.append(f"  AppSync TLS  {appsync.get('https')}   {appsync.get('wss')}")
    if document.get("dynamodb"):
        tables = ", ".join(table.name for table in cloud.stack.dynamodb_tables)
        lines.append(f"  DynamoDB     {document.get('dynamodb')}   tables {tables}")
    lines += list(cloud.config.profile.hints)
    if demo_rate:
        lines.append(f"demo stream on: {demo_rate:g} business events per second")
    for line in lines:
        log.info("%s", line)


async def _demo(cloud: RunningCloud, rate: float, stop: asyncio.Event) -> int:
    factory = cloud.config.profile.demo_stream
    if factory is None:
        log.warning("--demo: the %s profile has no demo stream", cloud.config.profile.name)
        return 0
    service = cloud.eventbridge.service

    async def put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return await service.call("PutEvents", {"Entries": entries})

    return await run_demo(put_events, factory(cloud.bus_name, random.Random()), rate=rate, stop=stop)


async def _serve(config: LocalCloudConfig, demo_rate: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with running_cloud(config) as cloud:
            announce(cloud, demo_rate)
            demo = loop.create_task(_demo(cloud, demo_rate, asyncio.Event())) if demo_rate else None
            freeze_startup_heap()
            log.info("ready: %s written; Ctrl-C to stop", config.state_dir / "local.json")
            await stop.wait()
            log.info("shutting down")
            if demo is not None:
                demo.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await demo
    finally:
        log.info("stopped")


def serve(config: LocalCloudConfig, demo_rate: float | None = None) -> None:
    """Start, serve until SIGINT/SIGTERM/SIGHUP, stop (the `vcn local up` foreground loop)."""
    event_loop.run(_serve(config, demo_rate))
