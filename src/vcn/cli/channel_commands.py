"""`vcn subscribe` and `vcn publish`: the AppSync Events side, through the project's Python client.

With `--since` (offered when the app profile declares an event history), `vcn subscribe` first prints what
was published since then, and after every reconnect what it missed, each event once and in order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from vcn.cli.common import bearer_token, identity_options, target_command, target_of
from vcn.cli.errors import CliError
from vcn.cli.history_command import history_failure, history_source, parse_since
from vcn.cli.target import Target
from vcn.local.profile import AppProfile

if TYPE_CHECKING:
    from appsync_events_client import Auth, HttpHistorySource, ReconnectPolicy, RecoveryReport, Since


def checked_channel(channel: str) -> str:
    """The channel as the client sends it; CliError for one that names nothing (empty, or `/`)."""
    from appsync_events_client.connection import normalize_channel

    try:
        return normalize_channel(channel)
    except ValueError as exc:
        raise CliError(f"{channel!r} is no channel: {exc}") from None


def _publisher_auth(target: Target) -> Auth:
    import boto3
    from appsync_events_client import ApiKeyAuth, IamAuth

    if target.api_key:
        return ApiKeyAuth(target.api_key)
    credentials = boto3.Session(region_name=target.region).get_credentials()
    if credentials is None:
        raise CliError(
            "no AWS credentials found to sign the publish (IAM); configure the AWS CLI or AWS_PROFILE"
        )
    return IamAuth(credentials.get_frozen_credentials(), target.region)


async def _subscribe(
    target: Target,
    channel: str,
    token: str,
    count: int | None,
    recovery: tuple[HttpHistorySource, Since] | None,
    dedupe_by: str | None = None,
) -> int:
    from appsync_events_client import EventsClient, HistoryError, TokenAuth, subscribe_with_recovery

    client = EventsClient(target.appsync_http, target.appsync_realtime, TokenAuth(token))
    received = 0
    async with contextlib.AsyncExitStack() as stack:
        connection = await stack.enter_async_context(client.connect())
        if recovery is None:
            events: Any = await connection.subscribe(channel, dedupe_by=dedupe_by)
        else:
            history, since = recovery
            await stack.enter_async_context(history)
            events = await subscribe_with_recovery(
                connection,
                channel,
                history,
                since,
                dedupe_by=dedupe_by,
                on_recovery=_report(channel),
                history_retry=subscriber_history_retry(),
            )
            # Stopped before the history source closes: its reads would otherwise fail on the closed
            # session and log "history unavailable ... retrying" as the command ends.
            stack.push_async_callback(_stop_quietly, events)
        print(f"subscribed to {channel} on the {target.label}; waiting for notifications", file=sys.stderr)
        # A 400: the history refused the read itself (the start cursor); resuming from it would fail alike.
        # After a 401 or 403 (an expired token, a grant taken away) the position is still worth keeping.
        refused = False
        try:
            async for event in events:
                print(json.dumps(event, separators=(",", ":")), flush=True)
                received += 1
                if count is not None and received >= count:
                    break
        except HistoryError as error:
            refused = error.status == 400
            raise
        finally:
            # Past the live events already printed too, so that resuming from it repeats none of them.
            cursor = await events.resume_cursor() if recovery is not None and not refused else None
            if cursor:
                print(f"to go on from the history's last position: --since {cursor}", file=sys.stderr)
    return 0


def subscriber_history_retry() -> ReconnectPolicy:
    """How long a subscriber keeps asking an unavailable history: past a restart of the service that serves
    it (a local cloud's takes seconds), about a minute at the least, as its WebSocket keeps reconnecting."""
    from appsync_events_client import ReconnectPolicy

    return ReconnectPolicy(initial_delay=0.5, max_delay=15.0, max_attempts=12)


async def _stopped_by_sigterm(work: Coroutine[Any, Any, int]) -> int:
    """`work`, cancelled by SIGTERM (as `kill` or a process manager stops it) so that its cleanup runs."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await work
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _stop_quietly(events: Any) -> None:
    """Unsubscribe as the command ends; a connection already gone has nothing left to stop."""
    from appsync_events_client import EventsError

    with contextlib.suppress(EventsError):
        await events.unsubscribe()


def _report(channel: str) -> Any:
    def report(outcome: RecoveryReport) -> None:
        if outcome.reason == "reconnect":
            print(
                f"reconnected: {outcome.recovered} events on {channel} arrived while disconnected",
                file=sys.stderr,
                flush=True,
            )
        elif outcome.recovered:
            print(f"history: {outcome.recovered} events on {channel}", file=sys.stderr, flush=True)

    return report


def run_subscribe(args: argparse.Namespace) -> int:
    from appsync_events_client import EventsError, HistoryError

    profile: AppProfile = args.profile
    checked_channel(args.channel)
    if args.count is not None and args.count < 1:
        raise CliError(f"--count must be at least 1 (got {args.count}); leave it out to print every event")
    # `--since ""` is a mistake, not "no --since": it would read no history at all.
    since = parse_since(args.since) if getattr(args, "since", None) is not None else None
    target = target_of(args)
    token = bearer_token(args, target)
    recovery = None
    if since is not None and profile.history is not None:
        recovery = (history_source(target, profile.history, token), since)
    try:
        return asyncio.run(
            _stopped_by_sigterm(_subscribe(target, args.channel, token, args.count, recovery, args.dedupe_by))
        )
    except asyncio.CancelledError:  # SIGTERM: ended as Ctrl-C ends it, the position printed
        return 128 + signal.SIGTERM
    except HistoryError as exc:
        raise history_failure(args.channel, exc) from None
    except EventsError as exc:
        raise CliError(f"subscribe to {args.channel} failed: {exc}") from None
    except KeyboardInterrupt:
        return 130


def _parse_events(values: list[str]) -> list[Any]:
    events = []
    for index, value in enumerate(values, start=1):
        try:
            event = json.loads(value)
        except json.JSONDecodeError as exc:
            raise CliError(f"event {index} is not valid JSON ({exc.msg}): {value!r}") from None
        _refuse_lone_surrogates(index, event)
        events.append(event)
    return events


def _refuse_lone_surrogates(index: int, event: Any) -> None:
    """A publish body is UTF-8 (AppSync Events takes nothing else), which no unpaired surrogate can be
    written in: `"\\ud800"` parses, but could only be sent by changing it."""
    try:
        json.dumps(event, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CliError(
            f"event {index} holds an unpaired UTF-16 surrogate (\\u{ord(exc.object[exc.start]):04x}), which "
            "is not text: AppSync Events takes UTF-8 only; escape both halves of a pair, e.g. \\ud83d\\ude00"
        ) from None


def run_publish(args: argparse.Namespace) -> int:
    from appsync_events_client import EventsClient, EventsError

    checked_channel(args.channel)
    events = _parse_events(args.events)
    target = target_of(args)
    client = EventsClient(target.appsync_http, target.appsync_realtime, _publisher_auth(target))
    try:
        result = asyncio.run(client.publish_http(args.channel, events))
    except EventsError as exc:
        raise CliError(f"publish to {args.channel} failed: {exc}") from None
    print(json.dumps({"successful": result.successful, "failed": result.failed}))
    return 0 if not result.failed else 1


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser], profile: AppProfile) -> None:
    subscribe = target_command(
        commands,
        "subscribe",
        run_subscribe,
        summary="print every event on a channel, one JSON line each",
        description="Subscribe to an AppSync Events channel (e.g. /orders/eu/42, or a wildcard such as "
        "/orders/eu/*) and print each event received as one JSON line.",
    )
    subscribe.add_argument("channel", help="channel to subscribe to, e.g. /orders/eu/*")
    identity_options(subscribe, "subscribe")
    subscribe.add_argument("--count", type=int, default=None, help="exit after this many notifications")
    subscribe.add_argument(
        "--dedupe-by",
        metavar="FIELD",
        default=None,
        help="print an event only the first time its FIELD value shows up (e.g. eventId: an event an archive "
        "replay or a dead-letter redrive sends again is printed once)",
    )
    if profile.history is not None:
        subscribe.add_argument(
            "--since",
            metavar="START",
            help="first print the history from START (a duration such as 10m, all, or a cursor), and "
            "after every reconnect what was missed; `now` only recovers after reconnects",
        )

    publish = target_command(
        commands,
        "publish",
        run_publish,
        summary="publish events to a channel over HTTP",
        description="Publish 1-5 JSON events to an AppSync Events channel (API key locally, IAM on AWS).",
    )
    publish.add_argument("channel", help="channel to publish to, e.g. /orders/eu/42")
    publish.add_argument(
        "events", nargs="+", metavar="JSON", help='events, each a JSON value: \'{"type":"x"}\''
    )
