"""`vcn local up` (run template.yaml on this machine) and `vcn local invoke` (like `sam local invoke`)."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path

from vcn.cli.errors import CliError
from vcn.cli.target import default_state_dir
from vcn.local.env_vars import EnvVars, EnvVarsError, read_env_vars
from vcn.local.ports import LocalPorts, PortInUse, check_ports_free, port_base_problem, port_problem
from vcn.local.profile import AppProfile, ProfileError, find_profile
from vcn.local.state import StateDirInUse, ensure_state_dir_free

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)-18s %(message)s"


def parse_overrides(values: list[str] | None) -> dict[str, str]:
    """`Key=Value` pairs, or SAM's `ParameterKey=Key,ParameterValue=Value`, into a dict."""
    overrides: dict[str, str] = {}
    for value in values or []:
        if value.startswith("ParameterKey="):
            fields = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
            if "ParameterValue" not in fields:
                raise CliError(f"parameter override {value!r} has no ParameterValue=...")
            overrides[fields["ParameterKey"]] = fields["ParameterValue"]
            continue
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise CliError(f"parameter override {value!r} is not Key=Value (e.g. LogLevel=DEBUG)")
        overrides[key] = item
    return overrides


# The flags that name one port each, with their argparse destinations.
PORT_FLAGS = (
    ("--api-port", "api_port"),
    ("--eventbridge-port", "eventbridge_port"),
    ("--appsync-port", "appsync_port"),
    ("--appsync-tls-port", "appsync_tls_port"),
    ("--dynamodb-port", "dynamodb_port"),
)


def _check_port_flags(args: argparse.Namespace) -> None:
    """Every port given must exist: a bind to 70000 would fail late, with an OverflowError."""
    problems = [port_base_problem(args.port_base)] if args.port_base is not None else []
    for flag, name in PORT_FLAGS:
        port = getattr(args, name)
        if port is not None:
            problems.append(port_problem(flag, port))
    for problem in problems:
        if problem is not None:
            raise CliError(problem)


def chosen_ports(args: argparse.Namespace) -> LocalPorts:
    """The ports of `vcn local up`'s flags; CliError for one that is no port."""
    _check_port_flags(args)
    base = LocalPorts.from_base(args.port_base) if args.port_base is not None else LocalPorts()
    tls = (
        None
        if args.no_tls
        else (args.appsync_tls_port if args.appsync_tls_port is not None else base.appsync_tls)
    )
    return LocalPorts(
        api=args.api_port if args.api_port is not None else base.api,
        eventbridge=args.eventbridge_port if args.eventbridge_port is not None else base.eventbridge,
        appsync=args.appsync_port if args.appsync_port is not None else base.appsync,
        appsync_tls=tls,
        dynamodb=args.dynamodb_port if args.dynamodb_port is not None else base.dynamodb,
    )


def _busy(exc: PortInUse, args: argparse.Namespace) -> CliError:
    """The port-in-use error, naming `--port-base` too when that is where the port came from."""
    given = getattr(args, exc.flag.lstrip("-").replace("-", "_"), None)
    if args.port_base is not None and given is None:
        return CliError(f"port {exc.port} is in use; pass another --port-base, or {exc.flag} for this one")
    return CliError(str(exc))


def _env_vars(path: Path | None) -> EnvVars | None:
    try:
        return read_env_vars(path) if path is not None else None
    except EnvVarsError as exc:
        raise CliError(str(exc)) from None


def _template_path(value: Path) -> Path:
    if not value.is_file():
        raise CliError(
            f"template {value} does not exist; run from the project root or pass --template <path>"
        )
    return value


def project_profile(template: Path) -> AppProfile:
    """The app profile of the project the template belongs to (its folder's pyproject.toml)."""
    try:
        return find_profile(template.resolve().parent)
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def run_up(args: argparse.Namespace) -> int:
    # Mistakes in the command line are reported before the (slow) imports of the emulators.
    template = _template_path(args.template)
    overrides = parse_overrides(args.parameter_overrides)
    env_vars = _env_vars(args.env_vars)
    ports = chosen_ports(args)
    if not (math.isfinite(args.time_scale) and args.time_scale > 0):
        raise CliError(f"--time-scale must be a positive number (got {args.time_scale:g}); 1 is real time")
    state_dir = args.state_dir or default_state_dir()
    try:
        # A cloud already running on this folder is named before its ports are reported as taken.
        ensure_state_dir_free(state_dir)
        check_ports_free(ports, args.host)
    except PortInUse as exc:
        raise _busy(exc, args) from None
    except StateDirInUse as exc:
        raise CliError(str(exc)) from None

    from vcn.dynamodb import DynamoDbSettings
    from vcn.eventbridge.settings import EventBridgeSettings
    from vcn.local.cloud import LocalCloudConfig, LocalCloudError, serve
    from vcn.template.errors import TemplateError

    logging.basicConfig(level=getattr(logging, args.log_level), format=LOG_FORMAT, datefmt="%H:%M:%S")
    settings = EventBridgeSettings()
    if args.retry_base_seconds is not None:
        settings = EventBridgeSettings(retry_base_seconds=args.retry_base_seconds)
    config = LocalCloudConfig(
        template,
        host=args.host,
        ports=ports,
        state_dir=state_dir,
        parameter_overrides=overrides,
        env_vars=env_vars or EnvVars(),
        eventbridge_settings=settings,
        dynamodb_settings=DynamoDbSettings(ttl_sweep_seconds=args.ttl_sweep_seconds),
        lambda_retry_delays=(args.lambda_retry_base_seconds, 2 * args.lambda_retry_base_seconds),
        grace_seconds=args.grace_seconds,
        profile=project_profile(template),
        time_scale=args.time_scale,
    )
    try:
        serve(config, demo_rate=args.demo_rate if args.demo else None)
    except PortInUse as exc:
        raise _busy(exc, args) from None
    except TemplateError as exc:
        raise CliError(f"{args.template}: {exc}") from None
    except LocalCloudError as exc:
        raise CliError(str(exc)) from None
    return 0


def run_invoke(args: argparse.Namespace) -> int:
    from vcn.local.invoke import InvokeError, invoke_function
    from vcn.template.errors import TemplateError

    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, datefmt="%H:%M:%S", stream=sys.stderr)
    try:
        ok, result = invoke_function(
            _template_path(args.template),
            args.function,
            args.event,
            state_dir=args.state_dir or default_state_dir(),
            parameter_overrides=parse_overrides(args.parameter_overrides),
            profile=project_profile(args.template),
            env_vars=_env_vars(args.env_vars),
        )
    except (InvokeError, TemplateError) as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(result))
    return 0 if ok else 1


def _add_template_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template", type=Path, default=Path("template.yaml"), help="SAM template (default: template.yaml)"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="state folder: keys, DLQs, local.json (default: .vcn)"
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        metavar="KEY=VALUE",
        help="template parameters, e.g. LogLevel=DEBUG (they win over the values the project's app "
        "profile sets for local runs)",
    )
    parser.add_argument(
        "--env-vars",
        type=Path,
        default=None,
        metavar="FILE",
        help='functions\' environment variables, as for sam local: {"<FunctionLogicalId>": {"VAR": "value"}, '
        '"Parameters": {"VAR": "value"}} (Parameters: every function; the values win over the template\'s)',
    )


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    local = commands.add_parser(
        "local",
        help="run the application on this machine",
        description="Run template.yaml on the local cloud (no Docker, no AWS account).",
    )
    actions = local.add_subparsers(dest="local_command", metavar="{up,invoke}", required=True)

    up = actions.add_parser(
        "up",
        help="start the local cloud in the foreground",
        description="Start EventBridge, AppSync Events, the HTTP API, Lambda workers, DynamoDB (for a "
        "template with tables) and the development identity provider from the template, write "
        "<state-dir>/local.json when every endpoint accepts connections, and run until Ctrl-C (SIGINT, "
        "SIGTERM and SIGHUP shut down cleanly). One cloud per state folder: a second one on the same "
        "--state-dir is refused, naming the first.",
    )
    _add_template_options(up)
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    up.add_argument(
        "--port-base",
        type=int,
        default=None,
        help="api=N, eventbridge=N+10, appsync=N+20, tls=N+21, dynamodb=N+30",
    )
    up.add_argument("--api-port", type=int, default=None, help="HTTP API, identity provider, console (4000)")
    up.add_argument("--eventbridge-port", type=int, default=None, help="EventBridge API (4010)")
    up.add_argument("--appsync-port", type=int, default=None, help="AppSync Events http/ws (4020)")
    up.add_argument("--appsync-tls-port", type=int, default=None, help="AppSync Events https/wss (4021)")
    up.add_argument(
        "--dynamodb-port", type=int, default=None, help="DynamoDB, when the template has tables (4030)"
    )
    up.add_argument("--no-tls", action="store_true", help="do not start the AppSync TLS listener")
    up.add_argument("--demo", action="store_true", help="also send the app profile's demo event stream")
    up.add_argument("--demo-rate", type=float, default=0.5, help="demo business events per second (0.5)")
    up.add_argument(
        "--retry-base-seconds",
        type=float,
        default=None,
        help="first API destination retry backoff (AWS-like default 1.0; tests shorten it)",
    )
    up.add_argument(
        "--lambda-retry-base-seconds",
        type=float,
        default=60.0,
        help="wait before retrying a failed asynchronous invocation; the second retry waits twice as long "
        "(Lambda's 60; tests shorten it)",
    )
    up.add_argument(
        "--ttl-sweep-seconds",
        type=float,
        default=60.0,
        help="how often DynamoDB deletes items whose TTL has passed (60; AWS takes up to a few days)",
    )
    up.add_argument(
        "--grace-seconds", type=float, default=5.0, help="at shutdown, time for pending deliveries (5)"
    )
    up.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="N",
        help="run the cloud's clock N times as fast as the wall clock, from the moment the cloud starts: "
        "schedules (scheduled rules, EventBridge Scheduler) and CloudWatch's metric periods and alarm "
        "evaluations (e.g. 60: rate(1 minute) fires every second); deliveries and retries keep real time (1)",
    )
    up.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    up.set_defaults(run=run_up)

    invoke = actions.add_parser(
        "invoke",
        help="invoke one function once, like `sam local invoke`",
        description="Invoke one function of the template with an event file and print its result as JSON. "
        "Its AWS calls go to the running local cloud of --state-dir when there is one.",
    )
    invoke.add_argument("function", help="logical id of the function, e.g. ConfigurationApiFunction")
    invoke.add_argument("-e", "--event", type=Path, default=None, help="JSON event file ('-' for stdin)")
    _add_template_options(invoke)
    invoke.set_defaults(run=run_invoke)
