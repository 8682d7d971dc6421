"""`vcn history`: what was published to a channel, read from the application's event history.

Offered when the app profile declares a `HistoryApi` (the route on the application's HTTP API). The API's
URL is the local cloud's API port, or the deployed stack's output the profile names as `api_url`; the token
is minted for `--user` locally, or given with `--token` (or VCN_TOKEN).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from vcn.cli.common import bearer_token, identity_options, target_command, target_of
from vcn.cli.errors import CliError
from vcn.cli.target import Target
from vcn.local.profile import AppProfile, HistoryApi

if TYPE_CHECKING:
    from appsync_events_client import HistoryError, HttpHistorySource, Since

MAX_PAGE = 100


def history_source(target: Target, history: HistoryApi, token: str) -> HttpHistorySource:
    from appsync_events_client import HttpHistorySource

    if not target.api_url:
        where = "local.json has no 'api' URL" if target.is_local else "the stack has no API URL output"
        raise CliError(
            f"cannot read the history on the {target.label}: {where} "
            "(the app profile's stack_outputs.api_url names it for --stack)"
        )
    return HttpHistorySource(target.api_url, token, path=history.path)


def parse_since(text: str, *, allow_now: bool = True) -> Since:
    from appsync_events_client import Since

    try:
        since = Since.parse(text)
    except ValueError as exc:
        raise CliError(f"--since: {exc}") from None
    if since.kind == "now" and not allow_now:
        raise CliError("--since now reads nothing old: pass a duration such as 10m, or all")
    return since


def history_failure(channel: str, exc: HistoryError) -> CliError:
    """The API's own message, and what to do when the token itself was refused."""
    hint = ""
    if exc.status == 401:
        hint = "; the token was refused: mint a new one (--user, local cloud) or pass a valid --token"
    elif exc.status is None:
        hint = "; is the application's API running? try again in a moment"
    return CliError(f"history of {channel}: {exc.message or exc.error_type}{hint}")


async def _read(source: HttpHistorySource, args: argparse.Namespace, since: Since | None) -> int:
    from appsync_events_client import HistoryQuery

    query = HistoryQuery(
        args.channel,
        after=args.after,
        since_seconds=since.seconds if since is not None else None,
        limit=args.limit,
    )
    printed = 0
    async with source:
        while True:
            page = await source.read(query)
            for item in page.items:
                print(json.dumps(item, separators=(",", ":")), flush=True)
            printed += len(page.items)
            if page.next_cursor is None:
                return printed
            if not args.all:
                print(
                    f"more after this page: --after {page.next_cursor} (or --all for everything)",
                    file=sys.stderr,
                )
                return printed
            query = HistoryQuery(args.channel, after=page.next_cursor, limit=args.limit)


def run_history(args: argparse.Namespace) -> int:
    from appsync_events_client import HistoryError

    profile: AppProfile = args.profile
    assert profile.history is not None  # the command exists only then
    if not 1 <= args.limit <= MAX_PAGE:
        raise CliError(f"--limit must be from 1 to {MAX_PAGE} (the size of one page), got {args.limit}")
    if args.after is not None and not args.after.strip():
        raise CliError("--after takes an item's cursor; it is empty")
    # `--since ""` is a mistake, not "no --since": it would read from the start.
    since = parse_since(args.since, allow_now=False) if args.since is not None else None
    if since is not None and since.kind == "after":
        raise CliError("--since takes a duration such as 10m here; pass a cursor with --after")
    target = target_of(args)
    source = history_source(target, profile.history, bearer_token(args, target))
    try:
        asyncio.run(_read(source, args, since))
    except HistoryError as exc:
        raise history_failure(args.channel, exc) from None
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], profile: AppProfile) -> None:
    if profile.history is None:
        return
    parser = target_command(
        commands,
        "history",
        run_history,
        summary="print what was published to a channel, oldest first",
        description="Read the application's event history of a channel (or a trailing-wildcard pattern "
        "such as /orders/eu/*): one JSON line per event, oldest first, each with its channel and cursor.",
    )
    parser.add_argument("channel", help="channel or pattern, e.g. /orders/eu/*")
    identity_options(parser, "read")
    parser.add_argument("--after", help="start strictly after this cursor (an item's cursor)")
    parser.add_argument("--since", help="start this long ago, e.g. 10m, 2h, 1d (the service's clock)")
    parser.add_argument("--limit", type=int, default=50, help=f"events per page, 1-{MAX_PAGE} (default: 50)")
    parser.add_argument("--all", action="store_true", help="follow the pages to the end")
