"""Alarms that can never fire: the metric an alarm watches, with its exact dimension set, must be one that
its resource emits; and an alarm on a count of failures must tell someone of the first one (`firing`).

The catalog of what each resource emits is the local CloudWatch's (`vcn.local.metric_sources`), built from
the template alone: AWS/Events per rule (with `EventBusName` for a rule on a custom bus), AWS/SQS per queue,
AWS/Lambda per function, AWS/AppSync per API. A metric that exists with another dimension set is a failure,
reported with the dimensions to add; a metric or namespace the local cloud does not emulate, or an
account-wide metric (no dimensions), is noted as not verified rather than failed.

A queue is *watched* when an alarm on its depth, as the queue emits it, fires on one message (`firing`): only
then is what lands there not silent. An alarm on a failure count (a rule's FailedInvocations, a function's
Errors, the depth of a queue the template keeps failures in) that would not fire on the first one fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from vcn.arns import is_sqs_queue, sqs_queue_name
from vcn.check.findings import ALARMS, CheckResults, Finding, counted
from vcn.check.firing import FAILURE_COUNTS, Actions, why_silent
from vcn.check.routes import Routes
from vcn.cloudwatch.catalog import unmatched_alarm_queries
from vcn.cloudwatch.collector import CatalogEntry
from vcn.cloudwatch.config import AlarmConfig
from vcn.cloudwatch.metric import MetricKey
from vcn.local.metric_sources import (
    api_metric_catalog,
    function_metric_catalog,
    queue_metric_catalog,
    rule_metric_catalog,
)
from vcn.template import LocalStack

SQS = "AWS/SQS"


def watched_queues(stack: LocalStack) -> frozenset[str]:
    """Queues an alarm watches (it fires on one message of their depth): what lands there is not silent."""
    catalog = {entry.key for entry in queue_metric_catalog(stack.queues)}
    actions = Actions.of(stack.view, stack.alarms)
    return frozenset(
        queue
        for alarm, metric in _failure_counts(stack.alarms, catalog)
        if metric.namespace == SQS and why_silent(alarm, metric, actions) is None
        for name, queue in metric.dimensions
        if name == "QueueName"
    )


def _failure_counts(
    alarms: list[AlarmConfig], emitted: set[MetricKey]
) -> Iterator[tuple[AlarmConfig, MetricKey]]:
    """Each alarm with each failure count it reads that its resource emits."""
    for alarm in alarms:
        for stat in alarm.metric_stats:
            metric = stat.metric
            if (metric.namespace, metric.name) in FAILURE_COUNTS and metric in emitted:
                yield alarm, metric


def _kept_in(stack: LocalStack, routes: Routes) -> set[str]:
    """Queues the template keeps failures in: dead-letter queues, on-failure destinations, rule targets."""
    queues = {t.target.dead_letter_queue for r in routes.rules for t in r.targets} | {
        t.queue for r in routes.rules for t in r.targets
    }
    for function in stack.functions:
        for arn in (function.async_invoke.on_failure, function.dead_letter_arn):
            if arn is not None and is_sqs_queue(arn):
                queues.add(sqs_queue_name(arn))
    return {queue for queue in queues if queue is not None}


def _silent_alarms(
    stack: LocalStack, routes: Routes, catalog: list[CatalogEntry], results: CheckResults
) -> None:
    kept_in = _kept_in(stack, routes)
    actions = Actions.of(stack.view, stack.alarms)
    for alarm, metric in _failure_counts(stack.alarms, {entry.key for entry in catalog}):
        dimensions = dict(metric.dimensions)
        if metric.namespace == SQS and dimensions.get("QueueName") not in kept_in:
            continue  # a work queue's depth: a backlog threshold is the template's choice
        why = why_silent(alarm, metric, actions)
        if why is None:
            continue
        what = FAILURE_COUNTS[(metric.namespace, metric.name)][0]
        results.fail(
            Finding(
                ALARMS,
                alarm.logical_id or alarm.name,
                f"does not tell of the first {what} ({metric.describe()}): {why}",
                hint="ComparisonOperator GreaterThanThreshold with Threshold 0 (one breaching datapoint), "
                "ActionsEnabled true, and AlarmActions like the other alarms",
            )
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
    _silent_alarms(stack, routes, catalog, results)
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
