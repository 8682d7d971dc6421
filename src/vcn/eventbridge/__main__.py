"""`python -m vcn.eventbridge --port N --state-dir D`: the local EventBridge on its own, stopped by
SIGINT, SIGTERM or SIGHUP with a grace period for pending deliveries; the rest stay in the journal in the
state folder and resume at the next start. What was created through its API before is restored from the
state folder at start."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from vcn import event_loop
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.server import EventBridgeServer
from vcn.eventbridge.service import EventBridgeService
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.heap import freeze_startup_heap


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m vcn.eventbridge", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--state-dir", type=Path, default=Path(".vcn"))
    parser.add_argument("--account", default=LOCAL_ACCOUNT.account_id)
    parser.add_argument("--region", default=LOCAL_ACCOUNT.region)
    parser.add_argument(
        "--grace-seconds", type=float, default=5.0, help="time pending deliveries get on shutdown"
    )
    parser.add_argument("--log-level", default="INFO")
    # For bench/delivery_bench.py only: measure the journal against no journal, or with an fsync per commit.
    parser.add_argument("--no-journal", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--journal-synchronous", choices=("NORMAL", "FULL"), default="NORMAL", help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    settings = EventBridgeSettings(journal=not args.no_journal, journal_synchronous=args.journal_synchronous)
    service = EventBridgeService(args.account, args.region, state_dir=args.state_dir, settings=settings)
    service.start()  # no template here: what the API created before comes back, then the journal resumes
    server = EventBridgeServer(service)
    await server.start(args.host, args.port)
    freeze_startup_heap()
    print(f"EventBridge ready on {server.url} (state in {args.state_dir})", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    report = await server.stop(args.grace_seconds)
    print(
        f"EventBridge stopped; {report.kept} pending deliveries stay in the journal, "
        f"{report.dead_lettered} went to dead-letter queues",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    event_loop.run(serve(args))


if __name__ == "__main__":
    main()
