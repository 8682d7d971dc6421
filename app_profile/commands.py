"""`vcn demo`: a steady stream of this application's domain events, to the local cloud or a deployed stack."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import random
import signal
from typing import Any

from vcn.cli.common import target_command, target_of
from vcn.cli.errors import CliError
from vcn.cli.event_commands import put_events
from vcn.local.demo import run_demo
from vcn.local.profile import AppProfile


def run_demo_command(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.rate) and args.rate > 0):
        raise CliError(f"--rate must be a positive number of events per second, got {args.rate}")
    if args.count is not None and args.count < 0:
        raise CliError(f"--count must be 0 or more business events, got {args.count}")
    target = target_of(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)

        async def send(entries: list[dict[str, Any]]) -> dict[str, Any]:
            return await asyncio.to_thread(put_events, target, entries)

        profile: AppProfile = args.profile
        if profile.demo_stream is None:
            raise CliError(f"the {profile.name} profile has no demo stream")
        source = profile.demo_stream(target.bus_name, random.Random())
        return await run_demo(send, source, rate=args.rate, stop=stop, count=args.count)

    sent = asyncio.run(main())
    print(f"demo: sent {sent} business events to {target.bus_name} on the {target.label}")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser], profile: AppProfile) -> None:
    demo = target_command(
        commands,
        "demo",
        run_demo_command,
        summary="send a steady stream of realistic domain events",
        description="Send validation outcomes, spec recommendations and supply constraints for the demo "
        "analysts' markets (DE, FR, US) and plants until interrupted.",
    )
    demo.add_argument("--rate", type=float, default=1.0, help="business events per second (default: 1)")
    demo.add_argument("--count", type=int, default=None, help="stop after this many business events")
