"""`LocalCloudWatch`: the metric store, the collector, the EMF capture and the alarms of one local cloud, and
the tick that drives them on the cloud's clock.

Every tick collects the sources' counters into datapoints, evaluates the alarms that are due and drops
datapoints no alarm can look at any more. Ticks come every 10 seconds of cloud time, but no more than 20 and
no fewer than 1 a real second, so a sped-up clock (`--time-scale`) still samples every period several times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from vcn.clock import Clock
from vcn.cloudwatch.alarms import AlarmMonitor, StateChange
from vcn.cloudwatch.catalog import unmatched_alarm_metrics
from vcn.cloudwatch.collector import MetricCollector, MetricSource
from vcn.cloudwatch.config import AlarmConfig
from vcn.cloudwatch.emf import EmbeddedMetrics
from vcn.cloudwatch.evaluation import iso_timestamp
from vcn.cloudwatch.store import MetricStore

log = logging.getLogger("vcn.cloudwatch")

TICK_CLOUD_SECONDS = 10.0
MIN_TICK_REAL_SECONDS = 0.05
MAX_TICK_REAL_SECONDS = 1.0
# Datapoints are kept at least this long (cloud seconds), for late EMF lines; pruned once a cloud minute.
MIN_RETENTION_SECONDS = 3600.0
PRUNE_EVERY_SECONDS = 60.0


class LocalCloudWatch:
    def __init__(self, alarms: Iterable[AlarmConfig], *, clock: Clock) -> None:
        self.clock = clock
        self.store = MetricStore()
        self.collector = MetricCollector(self.store)
        self.embedded = EmbeddedMetrics(self.store, clock)
        self.monitor = AlarmMonitor(alarms, self.store, clock.now())
        self.warnings: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._pruned = clock.now()

    def add_source(self, source: MetricSource) -> None:
        self.collector.add_source(source)

    @property
    def tick_seconds(self) -> float:
        """Real seconds between two ticks."""
        real = self.clock.real_seconds(TICK_CLOUD_SECONDS)
        return min(MAX_TICK_REAL_SECONDS, max(MIN_TICK_REAL_SECONDS, real))

    def check_alarms(self) -> list[str]:
        """Warn (and remember) alarms that watch a metric nothing here emits, or that cannot be evaluated."""
        alarms = [status.config for status in self.monitor.alarms]
        self.warnings = unmatched_alarm_metrics(alarms, self.collector.catalog())
        for status in self.monitor.alarms:
            if status.not_evaluated is not None:
                self.warnings.append(
                    f"alarm {status.config.name} is not evaluated locally: {status.not_evaluated}"
                )
        for warning in self.warnings:
            log.warning("%s", warning)
        if alarms:
            log.info(
                "alarm actions (SNS topics and the like) are not delivered locally: a state change is logged "
                "here and shown by `vcn alarms`"
            )
        return self.warnings

    def tick(self) -> list[StateChange]:
        now = self.clock.now()
        self.collector.collect(now)
        changes = self.monitor.evaluate_due(now)
        if now - self._pruned >= PRUNE_EVERY_SECONDS:
            self.store.prune(now - max(MIN_RETENTION_SECONDS, self.monitor.longest_range_seconds()))
            self._pruned = now
        return changes

    async def start(self) -> None:
        self.tick()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cloudwatch-ticks")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                self.tick()
            except Exception:  # one bad tick must not end metrics and alarms for the rest of the run
                log.exception("CloudWatch tick failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def describe_alarms(self) -> dict[str, Any]:
        """DescribeAlarms' answer for every alarm, and the start-up warnings."""
        return {"MetricAlarms": self.monitor.describe(), "Warnings": list(self.warnings)}

    def metric_totals(self) -> list[dict[str, Any]]:
        """Each metric's activity since start: the CloudWatch view of `vcn metrics`."""
        view = []
        for totals in self.store.totals():
            stats, latest = totals.statistics, totals.latest
            view.append(
                {
                    **totals.key.to_json(),
                    "SampleCount": stats.sample_count,
                    "Sum": stats.sum,
                    "Minimum": stats.minimum,
                    "Maximum": stats.maximum,
                    "Latest": {"Timestamp": iso_timestamp(latest.timestamp), "Sum": latest.statistics.sum},
                }
            )
        return view
