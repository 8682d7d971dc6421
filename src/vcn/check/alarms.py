"""Alarms that can never fire: the metric an alarm watches, with its exact dimension set, must be one that
its resource emits.

The catalog of what each resource emits is the local CloudWatch's (`vcn.local.metric_sources`), built from
the template alone: AWS/Events per rule (with `EventBusName` for a rule on a custom bus), AWS/SQS per queue,
AWS/Lambda per function, AWS/AppSync per API. A metric that exists with another dimension set is a failure,
reported with the dimensions to add; a metric or namespace the local cloud does not emulate, or an
account-wide metric (no dimensions), is noted as not verified rather than failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from vcn.check.findings import ALARMS, CheckResults, Finding, counted
from vcn.check.routes import Routes
from vcn.cloudwatch.catalog import unmatched_alarm_queries
from vcn.cloudwatch.config import AlarmConfig
from vcn.local.metric_sources import (
    api_metric_catalog,
    function_metric_catalog,
    queue_metric_catalog,
    rule_metric_catalog,
)
from vcn.template import LocalStack

SQS = "AWS/SQS"


def watched_queues(alarms: Iterable[AlarmConfig]) -> frozenset[str]:
    """Queues some alarm watches (any AWS/SQS metric with their QueueName): what lands there is not silent."""
    return frozenset(
        value
        for alarm in alarms
        for stat in alarm.metric_stats
        if stat.metric.namespace == SQS
        for name, value in stat.metric.dimensions
        if name == "QueueName"
    )


def check_alarms(stack: LocalStack, routes: Routes) -> CheckResults:
    results = CheckResults()
    catalog = list(
        chain(
            rule_metric_catalog(routes.control_plane),
            queue_metric_catalog(stack.queues),
            function_metric_catalog(spec.name for spec in stack.functions),
            api_metric_catalog(api.api_id for api in stack.appsync_apis),
        )
    )
    for alarm in stack.alarms:
        if alarm.unsupported is not None and not alarm.queries:
            results.note(ALARMS, f"alarm {alarm.logical_id or alarm.name} not verified: {alarm.unsupported}")
    for unmatched in unmatched_alarm_queries(stack.alarms, catalog):
        alarm = unmatched.alarm
        resource = alarm.logical_id or alarm.name
        if not unmatched.only_dimensions_differ or not unmatched.metric.dimensions:
            results.note(ALARMS, f"alarm {resource} not verified: {unmatched.why}")
            continue
        missing = unmatched.dimensions_to_add()
        hint = (
            "add the dimension " + ", ".join(f"{name}={value}" for name, value in missing.items())
            if missing
            else "use one of the dimension sets above"
        )
        which = "" if alarm.single_metric else f" (Metrics entry {unmatched.query_id})"
        results.fail(
            Finding(
                ALARMS,
                resource,
                f"never fires: it watches {unmatched.metric.describe()}{which}, which nothing emits; "
                f"{unmatched.why}",
                hint=hint,
            )
        )
    results.examined[ALARMS] = (
        f"{counted(len(stack.alarms), 'alarm')} against the {len(catalog)} metrics the resources emit"
    )
    return results
