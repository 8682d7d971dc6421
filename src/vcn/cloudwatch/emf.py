"""Custom metrics from functions' output: CloudWatch Embedded Metric Format (EMF) lines into the store.

A function (e.g. with Powertools Metrics) prints one JSON object per line whose `_aws` member declares
metrics: `{"_aws": {"Timestamp": <ms>, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [["service"]],
"Metrics": [{"Name": "M", "Unit": "Count"}]}]}, "service": "s", "M": 1}`. Each metric's value (a number or a
list of numbers) is at the top level under its name; each dimension set names top-level string members. In
AWS, CloudWatch Logs extracts these; locally the Lambda workers' output passes through `capture`. A line that
is not valid EMF stays an ordinary log line, as in AWS, and the local cloud says what was wrong.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from vcn.clock import Clock
from vcn.cloudwatch.metric import Datapoint, MetricKey, StatisticSet
from vcn.cloudwatch.store import MetricStore

log = logging.getLogger("vcn.cloudwatch")

MARKER = '"_aws"'
MAX_VALUES = 100  # EMF's limit of values per metric in one line


class InvalidEmf(ValueError):
    """The line declares EMF metrics CloudWatch would not extract; the message says why."""


def parse(document: Mapping[str, Any]) -> list[tuple[MetricKey, float | None, tuple[float, ...]]]:
    """(metric, timestamp in epoch seconds or None, values) for every metric the document declares."""
    metadata = document.get("_aws")
    if not isinstance(metadata, Mapping):
        raise InvalidEmf("_aws must be an object")
    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        raise InvalidEmf("_aws.CloudWatchMetrics must be a list")
    timestamp = metadata.get("Timestamp")
    if timestamp is not None and (not isinstance(timestamp, int | float) or isinstance(timestamp, bool)):
        raise InvalidEmf("_aws.Timestamp must be epoch milliseconds")
    seconds = None if timestamp is None else float(timestamp) / 1000
    found = []
    for directive in directives:
        if not isinstance(directive, Mapping):
            raise InvalidEmf("each CloudWatchMetrics entry must be an object")
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
            raise InvalidEmf("Namespace must be a string of 1 to 255 characters")
        for dimensions in _dimension_sets(document, directive.get("Dimensions")):
            for name, values in _metrics(document, directive.get("Metrics")):
                found.append((MetricKey.of(namespace, name, dimensions), seconds, values))
    return found


def _dimension_sets(document: Mapping[str, Any], declared: Any) -> list[dict[str, str]]:
    if not isinstance(declared, list):
        raise InvalidEmf("Dimensions must be a list of dimension sets (lists of member names)")
    if not declared:
        return [{}]
    sets = []
    for names in declared:
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise InvalidEmf("each dimension set must be a list of member names")
        if len(names) > 30:
            raise InvalidEmf(f"a dimension set holds at most 30 dimensions (got {len(names)})")
        dimensions = {}
        for name in names:
            value = document.get(name)
            if not isinstance(value, str):
                raise InvalidEmf(f"dimension {name!r} must be a string member of the line")
            dimensions[name] = value
        sets.append(dimensions)
    return sets


def _metrics(document: Mapping[str, Any], declared: Any) -> list[tuple[str, tuple[float, ...]]]:
    if not isinstance(declared, list):
        raise InvalidEmf("Metrics must be a list of {Name, Unit}")
    metrics = []
    for metric in declared:
        name = metric.get("Name") if isinstance(metric, Mapping) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise InvalidEmf("each metric needs a Name of 1 to 255 characters")
        raw = document.get(name)
        values = raw if isinstance(raw, list) else [raw]
        if not values or len(values) > MAX_VALUES:
            raise InvalidEmf(f"metric {name!r} needs 1 to {MAX_VALUES} values")
        numbers: list[float] = []
        for value in values:
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise InvalidEmf(f"metric {name!r} must have a number (or a list of numbers) as its value")
            numbers.append(float(value))
        metrics.append((name, tuple(numbers)))
    return metrics


class EmbeddedMetrics:
    """Captures EMF lines from functions' output into the metric store, on the cloud's clock."""

    def __init__(self, store: MetricStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.captured = 0

    def capture(self, origin: str, line: str) -> bool:
        """Store the metrics of `line` if it is an EMF line; True when it was one."""
        if MARKER not in line or not line.lstrip().startswith("{"):
            return False
        try:
            document = json.loads(line)
        except ValueError:
            return False
        if not isinstance(document, dict) or "_aws" not in document:
            return False
        try:
            metrics = parse(document)
        except InvalidEmf as exc:
            log.warning(
                "[%s] not stored as metrics (not valid EMF, CloudWatch would skip it too): %s", origin, exc
            )
            return False
        now = self.clock.now()
        for key, timestamp, values in metrics:
            at = now if timestamp is None else self.clock.from_wall(timestamp)
            self.store.put(key, Datapoint(at, StatisticSet.of_values(values), values))
            self.captured += 1
        return True
