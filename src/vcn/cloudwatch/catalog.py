"""The start-up check: alarms whose metric matches nothing the local cloud can emit.

A metric is its namespace, name and exact dimension set, so an alarm that names one dimension too few sees no
data, in AWS as here, and with TreatMissingData `notBreaching` it stays OK forever. The check compares every
metric an alarm reads with what the sources can emit and, when nothing matches, says what would.
"""

from __future__ import annotations

from collections.abc import Iterable

from vcn.cloudwatch.collector import CatalogEntry
from vcn.cloudwatch.config import AlarmConfig
from vcn.cloudwatch.metric import MetricKey

AWS_NAMESPACE_PREFIX = "AWS/"
SHOWN_CANDIDATES = 3


def _near(wanted: MetricKey, entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """Entries of the same metric whose dimensions share a value with the wanted ones (all, if none)."""
    values = {value for _, value in wanted.dimensions}
    if not values:
        return entries
    return [entry for entry in entries if values & {value for _, value in entry.key.dimensions}]


def _explain(wanted: MetricKey, catalog: list[CatalogEntry]) -> str | None:
    """Why `wanted` matches nothing and what would; None when it matches or cannot be known."""
    if any(entry.key == wanted for entry in catalog):
        return None
    same_namespace = [entry for entry in catalog if entry.key.namespace == wanted.namespace]
    if not same_namespace:
        if not wanted.namespace.startswith(AWS_NAMESPACE_PREFIX):
            return None  # a custom namespace: functions fill it at run time (EMF), nothing to check now
        return f"the local cloud emits nothing in namespace {wanted.namespace}"
    same_metric = [entry for entry in same_namespace if entry.key.name == wanted.name]
    if not same_metric:
        names = sorted({entry.key.name for entry in same_namespace})
        return f"the local cloud emits no {wanted.name} in {wanted.namespace} (it emits {', '.join(names)})"
    candidates = _near(wanted, same_metric) or same_metric
    shown = []
    for entry in candidates[:SHOWN_CANDIDATES]:
        text = entry.key.describe_dimensions()
        shown.append(f"{text} ({entry.note})" if entry.note else text)
    more = len(candidates) - len(shown)
    return (
        f"a metric matches only with its exact dimension set, in AWS too; what would match: "
        f"{wanted.namespace} {wanted.name} with {'; or '.join(shown)}"
        + (f" (and {more} more)" if more > 0 else "")
    )


def unmatched_alarm_metrics(alarms: Iterable[AlarmConfig], catalog: Iterable[CatalogEntry]) -> list[str]:
    """One warning per alarm metric that nothing the local cloud can emit matches."""
    entries = list(catalog)
    warnings = []
    for alarm in alarms:
        for query in alarm.queries:
            if query.metric_stat is None:
                continue
            wanted = query.metric_stat.metric
            why = _explain(wanted, entries)
            if why is None:
                continue
            which = "" if alarm.single_metric else f" (Metrics entry {query.id})"
            warnings.append(
                f"alarm {alarm.name}{which} watches {wanted.describe()}, which matches no metric the local "
                f"cloud emits, so it never sees data: {why}"
            )
    return warnings
