"""Entry point of `vcn`: builds the command tree and turns user mistakes into one `error:` line and exit 1."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from vcn.cli import channel_commands, event_commands, local_commands, ops_commands, token_command
from vcn.cli.errors import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vcn",
        description="Vehicle-configuration notifications: run the local cloud (EventBridge, AppSync Events, "
        "Lambda from template.yaml) and send, watch and redrive notifications, locally or on a deployed "
        "stack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    local_commands.add_parser(commands)
    token_command.add_parser(commands)
    channel_commands.add_parsers(commands)
    event_commands.add_parsers(commands)
    ops_commands.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
