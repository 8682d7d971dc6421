"""Options every command that talks to a running application shares: --state-dir, --stack, --region."""

from __future__ import annotations

import argparse
from pathlib import Path

from vcn.cli.target import Target, resolve_target
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


def target_of(args: argparse.Namespace) -> Target:
    profile: AppProfile = args.profile
    return resolve_target(args.state_dir, args.stack, args.region, profile.stack_outputs)
