"""`python -m bench.cloudwatch_eventbridge`: the local EventBridge with the local CloudWatch collecting its
metrics on the same event loop, as `vcn local up` runs them (`bench/delivery_bench.py --journal cloudwatch`).

The CloudWatch side reads the rule counters and the dead-letter queues' depth every tick and evaluates an
alarm on the bench rule's Invocations every minute of cloud time; `--time-scale` makes ticks as frequent as
they get (every 50 ms from a scale of 200 up), the worst case for the delivery path sharing the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from vcn import event_loop
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.clock import ScaledClock
from vcn.cloudwatch import AlarmConfig, LocalCloudWatch, MetricKey, MetricQuery, MetricStat, cloudwatch_routes
from vcn.eventbridge.server import EventBridgeServer
from vcn.eventbridge.service import EventBridgeService
from vcn.heap import freeze_startup_heap
from vcn.local.metric_sources import EventBridgeRuleMetrics, QueueDepthMetrics

BENCH_RULE_INVOCATIONS = MetricKey.of("AWS/Events", "Invocations", {"RuleName": "bench"})


async def serve(args: argparse.Namespace) -> None:
    service = EventBridgeService(LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region, state_dir=args.state_dir)
    alarm = AlarmConfig(
        name="BenchInvocations",
        queries=(MetricQuery("m1", MetricStat(BENCH_RULE_INVOCATIONS, 60, "Sum")),),
        evaluation_periods=1,
        threshold=1e12,
        comparison="GreaterThanThreshold",
    )
    cloudwatch = LocalCloudWatch([alarm], clock=ScaledClock(args.time_scale))
    cloudwatch.add_source(EventBridgeRuleMetrics(service))
    cloudwatch.add_source(QueueDepthMetrics(service.dead_letters, []))
    server = EventBridgeServer(service, extra_routes=cloudwatch_routes(cloudwatch))
    service.start()
    await server.start("127.0.0.1", args.port)
    await cloudwatch.start()
    freeze_startup_heap()
    print(f"EventBridge ready on {server.url} (with CloudWatch, time scale {args.time_scale:g})", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await cloudwatch.stop()
    await server.stop(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cloudwatch_eventbridge", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level)
    event_loop.run(serve(args))


if __name__ == "__main__":
    main()
