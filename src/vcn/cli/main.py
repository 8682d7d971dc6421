"""Entry point of `vcn`: builds the command tree and turns user mistakes into one `error:` line and exit 1.

The app profile of the project in the current folder (see `vcn.local.profile`) adds its demo users, claim
flags, stack output names and commands; without one, every generic command works on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from vcn.cli import (
    alarm_command,
    channel_commands,
    check_command,
    event_commands,
    history_command,
    local_commands,
    ops_commands,
    token_command,
)
from vcn.cli.errors import CliError
from vcn.local.profile import NO_PROFILE, AppProfile, ProfileError, find_profile


def build_parser(profile: AppProfile = NO_PROFILE) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vcn",
        description="Run a SAM template's EventBridge, AppSync Events, Lambda and HTTP API on this machine "
        "(the local cloud), and send, watch and redrive its events, locally or on a deployed stack.",
    )
    parser.set_defaults(profile=profile)
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    local_commands.add_parser(commands)
    token_command.add_parser(commands, profile)
    channel_commands.add_parsers(commands, profile)
    history_command.add_parser(commands, profile)
    event_commands.add_parsers(commands)
    ops_commands.add_parsers(commands)
    alarm_command.add_parser(commands)
    check_command.add_parser(commands)
    if profile.add_commands is not None:
        profile.add_commands(commands, profile)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        profile = find_profile(Path.cwd())
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    parser = build_parser(profile)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return reader_went_away()


# What a shell reports for a program ended by SIGPIPE (128 + 13), which Python turns into BrokenPipeError.
SIGPIPE_STATUS = 141


def reader_went_away() -> int:
    """stdout's reader closed early (`vcn history --all | head -1`): end quietly, as a program ended by
    SIGPIPE does, instead of with a traceback; stdout goes to /dev/null so the flush at exit cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return SIGPIPE_STATUS


if __name__ == "__main__":
    sys.exit(main())
