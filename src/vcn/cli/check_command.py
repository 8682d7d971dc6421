"""`vcn check`: prove before deploying that no notification can be lost between PutEvents and a subscriber.

Exit status 0 when every check passes, 1 when one fails or the template or traffic profile cannot be read.
`--json` prints one JSON document (for CI); otherwise a short table, each failure naming its resource.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vcn.cli.errors import CliError
from vcn.cli.local_commands import parse_overrides, project_profile

DEFAULT_EXAMPLES = 100


def run_check_command(args: argparse.Namespace) -> int:
    template: Path = args.template
    if not template.is_file():
        raise CliError(
            f"template {template} does not exist; run from the project root or pass --template <path>"
        )
    if args.traffic is not None and not args.traffic.is_file():
        raise CliError(f"traffic profile {args.traffic} does not exist (an example: traffic.yaml)")
    if args.examples < 1:
        raise CliError(f"--examples must be at least 1, got {args.examples}")
    # Imported here: Hypothesis, the SAM translator and the emulators take seconds to load.
    from vcn.check.report import to_json, to_text
    from vcn.check.runner import CheckOptions, run_check
    from vcn.check.traffic import TrafficError
    from vcn.template.errors import TemplateError

    options = CheckOptions(
        template=template,
        parameter_overrides=parse_overrides(args.parameter_overrides),
        traffic=args.traffic,
        examples=args.examples,
        seed=args.seed,
    )
    try:
        report = run_check(options, project_profile(template))
    except TemplateError as exc:
        raise CliError(f"{template}: {exc}") from None
    except TrafficError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json.dump(to_json(report), sys.stdout, indent=2)
        print()
    else:
        print(to_text(report))
    return 0 if report.passed else 1


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="prove that no notification can be dropped on its way (static, no cloud needed)",
        description="Check the template before deploying: run every event the producers can emit (the app "
        "profile's event kinds, with hostile values) through every rule, transformer and API destination "
        "with the local engines and check what AppSync Events would receive; find event types no rule "
        "routes, rules nothing matches and channels nobody may subscribe to; check retry policies, "
        "dead-letter queues, alarm dimensions, API key lifetimes, secrets in outputs and IAM breadth; with "
        "--traffic, price a month and flag the quotas its peaks hit. Exit status 1 when a check fails.",
    )
    check.add_argument(
        "--template", type=Path, default=Path("template.yaml"), help="SAM template (default: template.yaml)"
    )
    check.add_argument("--json", action="store_true", help="print one JSON document (for CI)")
    check.add_argument(
        "--traffic", type=Path, default=None, metavar="FILE", help="a traffic profile to price (traffic.yaml)"
    )
    check.add_argument(
        "--parameter-overrides",
        nargs="+",
        metavar="KEY=VALUE",
        help="template parameters (they win over the values the app profile sets for local runs)",
    )
    check.add_argument(
        "--examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        help=f"events Hypothesis draws per event kind, beyond the explicit ones (default {DEFAULT_EXAMPLES})",
    )
    check.add_argument("--seed", type=int, default=0, help="seed of the drawn events (default 0)")
    check.set_defaults(run=run_check_command)
