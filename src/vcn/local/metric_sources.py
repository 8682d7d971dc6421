"""The local services' counters as CloudWatch metrics: one `MetricSource` per service, with AWS's namespaces,
names and dimensions.

- AWS/Events, per rule (`RuleName`, plus `EventBusName` for a rule on a custom bus): the delivery counters of
  the local EventBridge and its ingestion-to-invocation latency.
- AWS/SQS `ApproximateNumberOfMessagesVisible` per `QueueName`: the file-backed queues of the state folder
  (dead-letter queues of rule targets and of functions, and any other queue the template declares).
- AWS/Lambda `Invocations`, `Errors`, `Throttles`, `Duration` per `FunctionName` (locally the function's
  logical id, which is what `!Ref` of the function gives). Throttles stay 0: the local runtime queues calls
  beyond its workers instead of refusing them.
- AWS/AppSync per `ApiId`: connects, subscribes, publishes, outbound messages, active connections.

Sources only read: the services count on their own, whether or not CloudWatch runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from vcn.appsync.metrics import ACTIVE_CONNECTIONS
from vcn.appsync.server import AppSyncEventsServer
from vcn.arns import DEFAULT_BUS, parse_rule_arn
from vcn.cloudwatch import CatalogEntry, Gauge, MetricKey, Samples, Tally
from vcn.cloudwatch.collector import Reading
from vcn.eventbridge.dlq import DeadLetterStore
from vcn.eventbridge.metrics import LATENCY, RULE_METRICS, rule_dimensions
from vcn.eventbridge.service import EventBridgeService
from vcn.lambda_runtime import LambdaRuntime

EVENTS = "AWS/Events"
SQS = "AWS/SQS"
LAMBDA = "AWS/Lambda"
APPSYNC = "AWS/AppSync"
VISIBLE_MESSAGES = "ApproximateNumberOfMessagesVisible"
LAMBDA_METRICS = ("Invocations", "Errors", "Throttles", "Duration")


class EventBridgeRuleMetrics:
    """AWS/Events per rule, from the local EventBridge's delivery counters."""

    def __init__(self, service: EventBridgeService) -> None:
        self.service = service
        self._keys: dict[tuple[str, str], MetricKey] = {}  # read every tick: built once per rule and metric

    def _key(self, rule_arn: str, name: str) -> MetricKey:
        key = self._keys.get((rule_arn, name))
        if key is None:
            key = self._keys[(rule_arn, name)] = MetricKey.of(EVENTS, name, rule_dimensions(rule_arn))
        return key

    def read(self) -> Iterator[Reading]:
        metrics = self.service.metrics
        for rule_arn, totals in metrics.rule_totals().items():
            for name, count in totals.items():
                if count:  # a count that never moved has nothing to report
                    yield Tally(self._key(rule_arn, name), count, count)
        for rule_arn, latencies in metrics.take_latencies().items():
            yield Samples(self._key(rule_arn, LATENCY), latencies)

    def catalog(self) -> Iterator[CatalogEntry]:
        resources = self.service.resources
        for bus_name in resources.bus_names():
            bus = resources.bus(bus_name)
            for rule in bus.rules.values() if bus is not None else ():
                bus_of_rule, name = parse_rule_arn(rule.arn)
                note = (
                    f"rule {name} is on the default bus, which reports RuleName alone"
                    if bus_of_rule == DEFAULT_BUS
                    else f"rule {name} is on custom bus {bus_of_rule}, which reports EventBusName and "
                    "RuleName together"
                )
                for metric in (*RULE_METRICS, LATENCY):
                    yield CatalogEntry(MetricKey.of(EVENTS, metric, rule_dimensions(rule.arn)), note)


class QueueDepthMetrics:
    """AWS/SQS `ApproximateNumberOfMessagesVisible` of the state folder's queues, sampled every read."""

    def __init__(self, store: DeadLetterStore, queues: Iterable[str]) -> None:
        self.store = store
        self.queues = tuple(queues)

    def _names(self) -> list[str]:
        return sorted(set(self.queues) | set(self.store.queues()))

    def read(self) -> Iterator[Reading]:
        for queue in self._names():
            key = MetricKey.of(SQS, VISIBLE_MESSAGES, {"QueueName": queue})
            yield Gauge(key, float(self.store.visible_count(queue)))

    def catalog(self) -> Iterator[CatalogEntry]:
        for queue in self._names():
            yield CatalogEntry(MetricKey.of(SQS, VISIBLE_MESSAGES, {"QueueName": queue}))


class LambdaFunctionMetrics:
    """AWS/Lambda per function, from the local runtime's invocation counts."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime

    def read(self) -> Iterator[Reading]:
        for function, counts in self.runtime.invocation_counts().items():
            dimensions = {"FunctionName": function}
            calls = counts.invocations
            yield Tally(MetricKey.of(LAMBDA, "Invocations", dimensions), calls, calls)
            yield Tally(MetricKey.of(LAMBDA, "Errors", dimensions), counts.errors, calls)
            yield Tally(MetricKey.of(LAMBDA, "Throttles", dimensions), 0, calls)
        for function, durations in self.runtime.take_durations().items():
            yield Samples(MetricKey.of(LAMBDA, "Duration", {"FunctionName": function}), durations)

    def catalog(self) -> Iterator[CatalogEntry]:
        for function in self.runtime.function_names:
            for metric in LAMBDA_METRICS:
                yield CatalogEntry(MetricKey.of(LAMBDA, metric, {"FunctionName": function}))


class AppSyncApiMetrics:
    """AWS/AppSync per API, from the Event API servers' counts."""

    def __init__(self, servers: Sequence[AppSyncEventsServer]) -> None:
        self.servers = tuple(servers)

    def read(self) -> Iterator[Reading]:
        for server in self.servers:
            activity = server.activity()
            dimensions = {"ApiId": activity.api_id}
            for name, count in activity.counts.items():
                yield Tally(MetricKey.of(APPSYNC, name, dimensions), count, count)
            yield Gauge(MetricKey.of(APPSYNC, ACTIVE_CONNECTIONS, dimensions), activity.active_connections)

    def catalog(self) -> Iterator[CatalogEntry]:
        for server in self.servers:
            activity = server.activity()
            for name in (*activity.counts, ACTIVE_CONNECTIONS):
                yield CatalogEntry(MetricKey.of(APPSYNC, name, {"ApiId": activity.api_id}))
