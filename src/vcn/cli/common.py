"""What commands that talk to a running application share: --state-dir/--stack/--region, --user/--token."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from vcn.cli.errors import CliError
from vcn.cli.target import Target, resolve_target
from vcn.cli.token_command import mint_token
from vcn.local.profile import AppProfile


def target_options() -> argparse.ArgumentParser:
    """A parent parser with the options that choose the local cloud or a deployed stack."""
    parent = argparse.ArgumentParser(add_help=False)
    where = parent.add_argument_group("target (default: the local cloud of --state-dir)")
    where.add_argument(
        "--state-dir", type=Path, default=None, help="state folder of the local cloud (default: .vcn)"
    )
    where.add_argument(
        "--stack", default=None, help="a deployed CloudFormation stack name instead of the local cloud"
    )
    where.add_argument(
        "--region", default=None, help="AWS region of --stack (default: your AWS configuration)"
    )
    return parent


def target_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    run: Callable[[argparse.Namespace], int],
    *,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    """A command that acts on the local cloud or a deployed stack: the target options, and `run` runs it."""
    parser = commands.add_parser(name, parents=[target_options()], help=summary, description=description)
    parser.set_defaults(run=run)
    return parser


def target_of(args: argparse.Namespace) -> Target:
    profile: AppProfile = args.profile
    return resolve_target(args.state_dir, args.stack, args.region, profile.stack_outputs)


def identity_options(parser: argparse.ArgumentParser, acting: str) -> None:
    """--user or --token, the identity `bearer_token` acts with; `acting` says as what, e.g. "read"."""
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--user", help=f"demo user to {acting} as (local cloud; a token is minted for them)")
    who.add_argument("--token", help=f"bearer token (JWT) to {acting} with")


def bearer_token(args: argparse.Namespace, target: Target) -> str:
    """The token to act with: --token, a development token minted for --user, or VCN_TOKEN."""
    if args.token:
        return str(args.token)
    if args.user:
        if not target.is_local or target.state_dir is None:
            raise CliError("--user mints a local development token; against --stack pass --token <jwt>")
        return mint_token(target.state_dir, args.user, args.profile)
    if os.environ.get("VCN_TOKEN"):
        return os.environ["VCN_TOKEN"]
    raise CliError("say who you are: --user <demo user id> (local cloud) or --token <jwt> (or set VCN_TOKEN)")
