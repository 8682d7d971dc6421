"""`vcn token`: print a development token signed by the local cloud's identity provider.

Demo users of the app profile get their own claims; `--claim name=a,b` (and the list-claim flags the profile
declares, such as `--groups`) set or replace claims.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vcn.cli.errors import CliError
from vcn.cli.target import default_state_dir, read_local_json
from vcn.identity import DevIdentityProvider, find_user, load_or_create_signing_key
from vcn.identity.provider import DEFAULT_AUDIENCE
from vcn.local.profile import AppProfile


def split_codes(values: list[str] | None) -> list[str] | None:
    """`--groups a b`, `--groups a,b` and repeated flags all mean the list [a, b]."""
    if values is None:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def parse_claims(values: list[str] | None) -> dict[str, list[str]]:
    """`--claim groups=a,b --claim groups=c` -> {"groups": ["a", "b", "c"]}: list claims from the flag."""
    claims: dict[str, list[str]] = {}
    for value in values or []:
        name, sep, items = value.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--claim {value!r} is not name=value[,value...] (e.g. --claim groups=admins)")
        claims.setdefault(name.strip(), []).extend(split_codes([items]) or [])
    return claims


def mint_token(
    state_dir: Path,
    user: str,
    profile: AppProfile,
    claims: Mapping[str, Any] | None = None,
    ttl: int = 3600,
    audience: str = DEFAULT_AUDIENCE,
) -> str:
    """A token for `user` from the local cloud running on `state_dir`; `claims` replace a demo user's own."""
    document = read_local_json(state_dir, needs=("api",))
    issuer = str(document["api"])
    running = document.get("profile")
    if isinstance(running, str) and running != profile.name:
        # The demo users and their claims are the profile's: without it, `--user <a demo user>` gets a token
        # that grants nothing, and every request with it is refused as if the user had no access.
        print(
            f"warning: the local cloud on {state_dir} runs the {running} app profile, this folder's project "
            f"has {'none' if profile.is_bare else 'the ' + profile.name + ' profile'}: run vcn from the "
            "cloud's project folder for its demo users, or pass the claims yourself",
            file=sys.stderr,
        )
    demo_user = find_user(profile.demo_users, user)
    if demo_user is None and not claims and profile.claim_options:
        known = ", ".join(item.id for item in profile.demo_users)
        flags = " and/or ".join(option.flag for option in profile.claim_options)
        raise CliError(f"{user!r} is not a demo user ({known}); pass {flags} to grant access")
    provider = DevIdentityProvider(load_or_create_signing_key(state_dir), issuer=issuer, audience=audience)
    granted = {**(demo_user.claims if demo_user else {}), **(claims or {})}
    try:
        return provider.issue_token(user, granted, ttl, name=demo_user.name if demo_user else None)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], profile: AppProfile) -> None:
    known = ", ".join(user.id for user in profile.demo_users)
    parser = commands.add_parser(
        "token",
        help="print a development token for the local cloud",
        description="Print a development JWT signed by the local cloud's identity provider (and nothing "
        "else)."
        + (f" Demo users ({known}) get their own claims unless flags say otherwise." if known else ""),
    )
    example = f", e.g. {profile.demo_users[0].id}" if profile.demo_users else ""
    parser.add_argument("--user", required=True, help=f"user id (the token's sub){example}")
    for option in profile.claim_options:
        parser.add_argument(
            option.flag, dest=f"claim_{option.claim}", nargs="+", metavar="CODE", help=option.help
        )
    parser.add_argument(
        "--claim",
        dest="claims",
        action="append",
        metavar="NAME=VALUES",
        help="a list claim to add, e.g. --claim groups=admins,ops (repeatable)",
    )
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default: 3600)")
    parser.add_argument(
        "--audience", default=DEFAULT_AUDIENCE, help=f"aud claim (default: {DEFAULT_AUDIENCE})"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="state folder of the local cloud (default: .vcn)"
    )
    parser.set_defaults(run=run)


def requested_claims(args: argparse.Namespace) -> dict[str, list[str]]:
    """Claims from `--claim` and from the profile's own claim flags (those win)."""
    profile: AppProfile = args.profile
    claims = parse_claims(args.claims)
    for option in profile.claim_options:
        values = split_codes(getattr(args, f"claim_{option.claim}", None))
        if values is not None:
            claims[option.claim] = values
    return claims


def run(args: argparse.Namespace) -> int:
    token = mint_token(
        args.state_dir or default_state_dir(),
        args.user,
        args.profile,
        requested_claims(args),
        args.ttl,
        args.audience,
    )
    print(token)
    return 0
