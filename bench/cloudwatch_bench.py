"""What metrics collection costs: the counters on the delivery hot path, and one local CloudWatch tick.

Run: `.venv/bin/python -m bench.cloudwatch_bench` (a few seconds, one thread, CPU time of this process).

- Per event: the `DeliveryMetrics` calls a delivered event makes now (a match per rule, MatchedEvents and
  Invocations per target, the ingestion-to-invocation latency sample) against the calls it made before this
  change (MatchedEvents and Invocations only), in the same run. Both are tiny next to the ~0.5 ms of CPU an
  event costs end to end (bench/delivery_bench.py).
- Per tick: `LocalCloudWatch.tick()` with a template's worth of metrics (RULES rules with two targets each,
  QUEUES dead-letter queues on disk, one alarm per rule), after traffic on every rule; the share of one core
  it takes at the fastest tick rate (20 per second, `--time-scale` 200 and up) and at real time (1 a second).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vcn.aws_account import LOCAL_ACCOUNT
from vcn.clock import ScaledClock
from vcn.cloudwatch import AlarmConfig, LocalCloudWatch, MetricKey, MetricQuery, MetricStat
from vcn.eventbridge.metrics import INVOCATIONS, MATCHED_EVENTS, DeliveryMetrics, rule_dimensions
from vcn.eventbridge.service import EventBridgeService
from vcn.local.metric_sources import EventBridgeRuleMetrics, QueueDepthMetrics

RULES = 20
QUEUES = 4
EVENTS = 200_000
ROUNDS = 5


def rule_arn(index: int) -> str:
    return f"arn:aws:events:us-east-1:000000000000:rule/bus/rule-{index}"


def cpu_per_call(work: Callable[[int], None], calls: int) -> float:
    """Best of ROUNDS: CPU seconds per call of `work(i)`."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for index in range(calls):
            work(index)
        best = min(best, (time.process_time() - started) / calls)
    return best


def per_event() -> tuple[float, float]:
    before, after = DeliveryMetrics(), DeliveryMetrics()
    arns = [rule_arn(index % RULES) for index in range(RULES)]

    def old_calls(index: int) -> None:
        arn = arns[index % RULES]
        before.add(arn, "t", MATCHED_EVENTS)
        before.add(arn, "t", INVOCATIONS)

    def new_calls(index: int) -> None:
        arn = arns[index % RULES]
        after.rule_matched(arn)
        after.add(arn, "t", MATCHED_EVENTS)
        after.invocation_started(arn, 1.5)
        after.add(arn, "t", INVOCATIONS)
        if index % 10_000 == 0:
            after.take_latencies()  # as the collector does every tick

    return cpu_per_call(old_calls, EVENTS), cpu_per_call(new_calls, EVENTS)


def per_tick(state_dir: Path) -> float:
    service = EventBridgeService(LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region, state_dir=state_dir)
    metrics = service.metrics
    store = service.dead_letters
    for queue in range(QUEUES):
        for message in range(25):
            store.send(
                f"dlq-{queue}",
                body="{}",
                attributes={},
                rule_arn="r",
                target_id="t",
                event={"id": str(message)},
            )
    alarms = [
        AlarmConfig(
            name=f"alarm-{index}",
            queries=(
                MetricQuery(
                    "m1",
                    MetricStat(
                        MetricKey.of("AWS/Events", "FailedInvocations", rule_dimensions(rule_arn(index))),
                        300,
                        "Sum",
                    ),
                ),
            ),
            evaluation_periods=1,
            threshold=0,
            comparison="GreaterThanThreshold",
            treat_missing_data="notBreaching",
        )
        for index in range(RULES)
    ]
    clock = ScaledClock(300)
    cloudwatch = LocalCloudWatch(alarms, clock=clock)
    cloudwatch.add_source(EventBridgeRuleMetrics(service))
    cloudwatch.add_source(QueueDepthMetrics(store, [f"dlq-{queue}" for queue in range(QUEUES)]))

    def tick(index: int) -> None:
        for rule in range(RULES):  # some traffic on every rule between ticks
            for target in ("a", "b"):
                metrics.add(rule_arn(rule), target, INVOCATIONS, 3)
            metrics.rule_matched(rule_arn(rule))
            metrics.invocation_started(rule_arn(rule), 2.0)
        cloudwatch.tick()

    return cpu_per_call(tick, 400)


def main() -> None:
    old, new = per_event()
    with tempfile.TemporaryDirectory() as state_dir:
        tick = per_tick(Path(state_dir))
    print(f"cloudwatch bench: {RULES} rules x 2 targets, {QUEUES} queues, {RULES} alarms; best of {ROUNDS}")
    print("| measurement | CPU | ratio |")
    print("|---|---|---|")
    print(f"| baseline: counters per delivered event before (2 calls) | {old * 1e6:.3f} us | 1.00x |")
    print(f"| counters per delivered event now (4 calls) | {new * 1e6:.3f} us | {new / old:.2f}x |")
    added = new - old
    share = added / 500e-6
    print(
        f"| added per event, against 500 us CPU per event end to end | {added * 1e6:.3f} us | {share:.4%} |"
    )
    print(f"| one tick (collect + evaluate due alarms + prune) | {tick * 1e6:.1f} us | |")
    print(f"| share of one core at 20 ticks/s (--time-scale >= 200) | {tick * 20:.3%} | |")
    print(f"| share of one core at 1 tick/s (real time) | {tick:.4%} | |")


if __name__ == "__main__":
    main()
