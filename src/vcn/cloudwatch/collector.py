"""Turning the local services' counters into datapoints: what each service offers (`MetricSource`), and the
collector that reads them every tick.

Services keep plain cumulative counters on their hot paths and never call into CloudWatch; the collector
reads them through `MetricSource.read()` and stores the change since its previous read as one datapoint. So
counting costs a service an integer increment, and the local CloudWatch can be left out without touching it.

Readings:
- `Tally`: cumulative `samples`, each 1 (`hits` of them) or 0 — a count (`hits == samples`), or an indicator
  such as Lambda's Errors per invocation. A datapoint is stored whenever `samples` moved, so zero errors
  among new invocations is a datapoint of 0 (as Lambda reports it), and nothing new is missing data.
- `Gauge`: a level sampled now (a queue's visible messages, open connections); stored on every read.
- `Samples`: values observed since the previous read (latencies, durations); stored when there are any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from vcn.cloudwatch.metric import Datapoint, MetricKey, StatisticSet
from vcn.cloudwatch.store import MetricStore


@dataclass(frozen=True, slots=True)
class Tally:
    key: MetricKey
    hits: float
    samples: float


@dataclass(frozen=True, slots=True)
class Gauge:
    key: MetricKey
    value: float


@dataclass(frozen=True, slots=True)
class Samples:
    key: MetricKey
    values: Sequence[float]


Reading = Tally | Gauge | Samples


@dataclass(frozen=True)
class CatalogEntry:
    """A metric a source can emit, with a note on why it has these dimensions (for the start-up check)."""

    key: MetricKey
    note: str | None = None


class MetricSource(Protocol):
    """A service's metrics, as the collector reads them."""

    def read(self) -> Iterable[Reading]:
        """Cumulative tallies, current gauges and the samples since the previous read."""
        ...

    def catalog(self) -> Iterable[CatalogEntry]:
        """Every metric this source can emit with its current configuration."""
        ...


class MetricCollector:
    """Reads every source and stores what changed as datapoints stamped with the collection time."""

    def __init__(self, store: MetricStore, sources: Iterable[MetricSource] = ()) -> None:
        self.store = store
        self.sources = list(sources)
        self._seen: dict[MetricKey, tuple[float, float]] = {}

    def add_source(self, source: MetricSource) -> None:
        self.sources.append(source)

    def collect(self, now: float) -> None:
        for source in self.sources:
            for reading in source.read():
                self._store(reading, now)

    def _store(self, reading: Reading, now: float) -> None:
        if isinstance(reading, Tally):
            hits, samples = self._seen.get(reading.key, (0.0, 0.0))
            self._seen[reading.key] = (reading.hits, reading.samples)
            if reading.samples < samples or reading.hits < hits:  # the counter started again
                hits, samples = 0.0, 0.0
            new_samples = reading.samples - samples
            if new_samples > 0:
                new_hits = min(new_samples, max(0.0, reading.hits - hits))
                self.store.put(reading.key, Datapoint(now, StatisticSet.tally(new_hits, new_samples)))
        elif isinstance(reading, Gauge):
            self.store.put_value(reading.key, now, reading.value)
        elif reading.values:
            values = tuple(float(value) for value in reading.values)
            self.store.put(reading.key, Datapoint(now, StatisticSet.of_values(values), values))

    def catalog(self) -> list[CatalogEntry]:
        return [entry for source in self.sources for entry in source.catalog()]
