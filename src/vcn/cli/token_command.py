"""`vcn token`: print a development token signed by the local cloud's identity provider."""

from __future__ import annotations

import argparse
from pathlib import Path

from vcn.cli.errors import CliError
from vcn.cli.target import default_state_dir, read_local_json
from vcn.identity import DEMO_ANALYSTS, DevIdentityProvider, find_analyst, load_or_create_signing_key
from vcn.identity.provider import DEFAULT_AUDIENCE


def split_codes(values: list[str] | None) -> list[str] | None:
    """`--markets DE FR`, `--markets DE,FR` and repeated flags all mean the list [DE, FR]."""
    if values is None:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def mint_token(
    state_dir: Path,
    user: str,
    markets: list[str] | None = None,
    plants: list[str] | None = None,
    ttl: int = 3600,
    audience: str = DEFAULT_AUDIENCE,
) -> str:
    """A token for `user` from the local cloud running on `state_dir`; demo analysts get their own grants."""
    issuer = read_local_json(state_dir).get("api")
    if not isinstance(issuer, str):
        raise CliError(
            f"{state_dir}/local.json has no 'api' URL to use as the token issuer; restart the local cloud"
        )
    analyst = find_analyst(user)
    if analyst is None and markets is None and plants is None:
        known = ", ".join(item.id for item in DEMO_ANALYSTS)
        raise CliError(
            f"{user!r} is not a demo analyst ({known}); pass --markets and/or --plants to grant access"
        )
    provider = DevIdentityProvider(load_or_create_signing_key(state_dir), issuer=issuer, audience=audience)
    granted_markets = markets if markets is not None else list(analyst.markets if analyst else [])
    granted_plants = plants if plants is not None else list(analyst.plants if analyst else [])
    try:
        return provider.issue_token(user, granted_markets, granted_plants, ttl)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "token",
        help="print a development token for the local cloud",
        description="Print a development JWT signed by the local cloud's identity provider (and "
        "nothing else). "
        "Demo analysts (analyst-de, analyst-fr, analyst-us, supply-lead, admin) get their own markets "
        "and plants "
        "unless --markets / --plants say otherwise.",
    )
    parser.add_argument("--user", required=True, help="user id (the token's sub), e.g. analyst-de")
    parser.add_argument(
        "--markets", nargs="+", metavar="CODE", help="market codes to grant, e.g. DE FR, or *"
    )
    parser.add_argument("--plants", nargs="+", metavar="CODE", help="plant codes to grant, e.g. ZWI, or *")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default: 3600)")
    parser.add_argument(
        "--audience", default=DEFAULT_AUDIENCE, help=f"aud claim (default: {DEFAULT_AUDIENCE})"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="state folder of the local cloud (default: .vcn)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    token = mint_token(
        args.state_dir or default_state_dir(),
        args.user,
        split_codes(args.markets),
        split_codes(args.plants),
        args.ttl,
        args.audience,
    )
    print(token)
    return 0
