"""Capacity and cost of a traffic profile: monthly operations and list price per service, and the quotas its
peaks would hit.

What each event costs comes from the template, not from assumptions: the ordinary event of each kind is
routed through the rules (`PathCheck.deliveries`), so an event type's API destination invocations, AppSync
publishes, message sizes (outbound messages are billed per 5 KB), handler invocations and Lambda targets are
the ones the template produces. The profile says how often: events a day by type, clients online, their
subscriptions and requests, the audience of a channel, and each function's duration and DynamoDB units.
Peaks are the day's average over its active hours times the profile's peak factor.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from vcn import arns
from vcn.appsync.config import EventApiConfig
from vcn.check.contribution import CheckContribution
from vcn.check.findings import CAPACITY, CheckResults, Finding, counted
from vcn.check.paths import PathCheck
from vcn.check.pricing import PriceList
from vcn.check.traffic import TrafficError, TrafficProfile
from vcn.eventbridge.put_events import entry_size
from vcn.template import LocalStack

ACCOUNT = "(account)"
SERVICES = ("EventBridge", "AppSync Events", "API Gateway", "Lambda", "DynamoDB")
APPSYNC_OPERATIONS = (
    "connects",
    "subscribes",
    "inbound events",
    "outbound messages (5 KB each)",
    "handler calls",
)


@dataclass(frozen=True)
class LineItem:
    service: str
    what: str
    quantity: float  # a month
    usd: float


@dataclass(frozen=True)
class QuotaUse:
    quota: str
    what: str
    resource: str
    peak: float
    limit: float
    unit: str = "per second"

    @property
    def exceeded(self) -> bool:
        return self.peak > self.limit


@dataclass
class CostReport:
    items: list[LineItem] = field(default_factory=list)
    quotas: list[QuotaUse] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    prices: PriceList | None = None

    @property
    def total_usd(self) -> float:
        return sum(item.usd for item in self.items)

    def by_service(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for item in self.items:
            totals[item.service] += item.usd
        return dict(totals)


@dataclass
class _Rates:
    """Calls a day, by what drives them: events (over the events' active hours) or clients (theirs)."""

    event_day: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    client_day: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class CostModel:
    def __init__(
        self,
        traffic: TrafficProfile,
        stack: LocalStack,
        paths: PathCheck,
        contribution: CheckContribution,
        prices: PriceList,
    ) -> None:
        self.traffic, self.stack, self.paths, self.prices = traffic, stack, paths, prices
        self.kinds = {kind.detail_type: kind for kind in contribution.event_kinds}
        self.report = CostReport(prices=prices)
        self.functions = _Rates()
        self.operations: dict[str, float] = dict.fromkeys(APPSYNC_OPERATIONS, 0.0)  # Event API, a month
        self.connection_minutes = 0.0
        self.api_resources = _api_resources(stack)
        self.inbound_day: dict[str, float] = defaultdict(float)  # per API id
        self.outbound_day: dict[str, float] = defaultdict(float)
        self.destinations_day: dict[str, float] = defaultdict(float)  # per API destination logical id
        self.destination_limits: dict[str, float] = {}

    # --- events ---------------------------------------------------------------------------------------------

    def price_events(self) -> None:
        traffic, prices = self.traffic, self.prices
        chunk = prices.sizes["eventbridge_event_chunk_bytes"]
        message = prices.sizes["appsync_message_bytes"]
        billed_events = invocations_day = put_back_day = 0.0
        for detail_type, per_day in traffic.events_per_day.items():
            kind = self.kinds.get(detail_type)
            if kind is None:
                known = ", ".join(self.kinds) or "none (the app profile declares no event kinds)"
                raise TrafficError(f"events.per_day.{detail_type}: no such event type (known: {known})")
            entry = {
                "Source": kind.source,
                "DetailType": kind.detail_type,
                "Detail": json.dumps(kind.typical),
            }
            billed_events += per_day * math.ceil(entry_size(entry) / chunk)
            event = self.paths.event(kind, kind.typical)
            if event is None:
                continue
            for delivery in self.paths.deliveries(kind, event):
                admission = delivery.admission
                if admission is not None and admission.admitted:
                    # the ingress puts the canonical event back on the bus: a custom event of its own
                    put_back = {
                        "Source": admission.source,
                        "DetailType": admission.detail_type,
                        "Detail": json.dumps(admission.detail),
                    }
                    billed_events += per_day * math.ceil(entry_size(put_back) / chunk)
                    put_back_day += per_day
                invocations_day += per_day
                target = delivery.target
                if target.is_api_destination and target.destination is not None:
                    self.destinations_day[target.destination] += per_day
                    if target.appsync is not None:
                        self.destination_limits[target.destination] = target.appsync.rate_limit_per_second
                if target.kind == "lambda":
                    self.functions.event_day[arns.function_name(target.target.arn)] += per_day
                publish = delivery.publish
                if publish is None or target.appsync is None:
                    continue
                api = target.appsync.api
                audience = traffic.audience.get(publish.namespace, 1.0)
                self.inbound_day[api.api_id] += per_day * len(publish.event_bytes)
                messages = sum(math.ceil(size / message) for size in publish.event_bytes)
                self.outbound_day[api.api_id] += per_day * audience * messages
                handler = _handler_function(api, publish.namespace, "publish")
                if handler is not None:
                    self.functions.event_day[handler] += per_day
                    self.operations["handler calls"] += per_day * traffic.days_per_month
        days = traffic.days_per_month
        destinations = sum(self.destinations_day.values())
        self._item("EventBridge", "custom events (64 KB chunks)", billed_events * days, "eventbridge_events")
        self._item(
            "EventBridge", "API destination invocations", destinations * days, "api_destination_invocations"
        )
        self.operations["inbound events"] += sum(self.inbound_day.values()) * days
        self.operations["outbound messages (5 KB each)"] += sum(self.outbound_day.values()) * days
        seconds = traffic.active_hours_per_day * 3600
        peak = traffic.peak_factor / seconds
        events_day = sum(traffic.events_per_day.values()) + put_back_day
        self._quota("eventbridge_put_events_per_second", ACCOUNT, events_day * peak)
        self._quota("eventbridge_invocations_per_second", ACCOUNT, invocations_day * peak)
        for destination, per_day in self.destinations_day.items():
            limit = self.destination_limits.get(destination)
            if limit is not None:
                self.report.quotas.append(
                    QuotaUse(
                        "api_destination_rate_limit",
                        "API destination invocations per second (InvocationRateLimitPerSecond; excess waits)",
                        destination,
                        per_day * peak,
                        limit,
                    )
                )
        for api_id, per_day in self.inbound_day.items():
            self._quota("appsync_inbound_events_per_second", self._api_resource(api_id), per_day * peak)
        for api_id, per_day in self.outbound_day.items():
            self._quota("appsync_outbound_messages_per_second", self._api_resource(api_id), per_day * peak)

    # --- clients --------------------------------------------------------------------------------------------

    def price_clients(self) -> None:
        traffic = self.traffic
        if not traffic.clients_online or not self.stack.appsync_apis:
            return
        api = self._client_api()
        days = traffic.client_days_per_month
        connects_day = traffic.clients_online * traffic.connects_per_day
        subscribes_day = {ns: connects_day * count for ns, count in traffic.channels.items()}
        self.connection_minutes = traffic.clients_online * traffic.client_hours_per_day * 60 * days
        self.operations["connects"] += connects_day * days
        self.operations["subscribes"] += sum(subscribes_day.values()) * days
        authorizer = api.provider("AWS_LAMBDA")
        if authorizer is not None and authorizer.lambda_authorizer is not None:
            config = authorizer.lambda_authorizer
            # Results are cached per token for the TTL: the subscribes right after a connect reuse them.
            calls = connects_day if config.result_ttl_seconds else connects_day + sum(subscribes_day.values())
            self.functions.client_day[arns.function_name(config.authorizer_uri)] += calls
        for namespace, per_day in subscribes_day.items():
            handler = _handler_function(api, namespace, "subscribe")
            if handler is not None:
                self.functions.client_day[handler] += per_day
                self.operations["handler calls"] += per_day * days
        requests = self._http_requests()
        if requests:
            self._item("API Gateway", "HTTP API requests", requests * days, "http_api_requests")
        seconds = traffic.client_hours_per_day * 3600 or 1
        where = self._api_resource(api.api_id)
        self._quota("appsync_connects_per_second", where, connects_day / seconds * traffic.peak_factor)
        subscriptions = sum(traffic.channels.values())
        self._quota("appsync_subscriptions_per_connection", where, subscriptions, "per connection")
        self._quota("appsync_publishes_per_second_per_connection", where, traffic.publishes_per_second)

    def _http_requests(self) -> float:
        routes = {route.route_key: route for api in self.stack.http_apis for route in api.routes}
        total = 0.0
        for route_key, per_client in self.traffic.http_requests_per_day.items():
            route = routes.get(route_key)
            if route is None:
                known = ", ".join(sorted(routes)) or "none"
                raise TrafficError(
                    f"clients.http_requests_per_day.{route_key}: no such route (routes: {known})"
                )
            per_day = per_client * self.traffic.clients_online
            self.functions.client_day[arns.function_name(route.function)] += per_day
            total += per_day
        return total

    # --- functions and tables -------------------------------------------------------------------------------

    def price_functions(self) -> None:
        traffic = self.traffic
        requests = gb_seconds_arm = gb_seconds_x86 = reads = writes = concurrency = 0.0
        event_seconds = traffic.active_hours_per_day * 3600
        client_seconds = (traffic.client_hours_per_day or 24) * 3600
        for function in sorted(set(self.functions.event_day) | set(self.functions.client_day)):
            try:
                spec = self.stack.function(function)
            except LookupError:
                self.report.assumptions.append(f"{function} is not a function of the template: not priced")
                continue
            load = traffic.load_of(function)
            event_day, client_day = self.functions.event_day[function], self.functions.client_day[function]
            calls = event_day * traffic.days_per_month + client_day * traffic.client_days_per_month
            gb_seconds = calls * load.duration_ms / 1000 * spec.memory / 1024
            requests += calls
            if spec.architecture == "arm64":
                gb_seconds_arm += gb_seconds
            else:
                gb_seconds_x86 += gb_seconds
            reads += calls * load.read_units
            writes += calls * load.write_units
            peak_rate = (event_day / event_seconds + client_day / client_seconds) * traffic.peak_factor
            concurrency += peak_rate * load.duration_ms / 1000
        self._item("Lambda", "invocations", requests, "lambda_requests")
        if gb_seconds_arm:
            self._item("Lambda", "GB-seconds (arm64)", gb_seconds_arm, "lambda_gb_seconds_arm64")
        if gb_seconds_x86:
            self._item("Lambda", "GB-seconds (x86_64)", gb_seconds_x86, "lambda_gb_seconds_x86_64")
        if reads or writes:
            self._item("DynamoDB", "read request units", reads, "dynamodb_read_request_units")
            self._item("DynamoDB", "write request units", writes, "dynamodb_write_request_units")
        self._quota("lambda_concurrent_executions", ACCOUNT, concurrency, "at once")

    def finish(self) -> CostReport:
        for what, quantity in self.operations.items():
            self.report.items.append(LineItem("AppSync Events", what, quantity, 0.0))
        total = sum(self.operations.values())
        self._item("AppSync Events", "operations (the five lines above)", total, "appsync_event_operations")
        if self.connection_minutes:
            minutes = self.connection_minutes
            self._item("AppSync Events", "connection-minutes", minutes, "appsync_connection_minutes")
        self.report.items.sort(key=lambda item: SERVICES.index(item.service))
        return self.report

    # --- helpers --------------------------------------------------------------------------------------------

    def _item(self, service: str, what: str, quantity: float, price: str) -> None:
        self.report.items.append(LineItem(service, what, quantity, self.prices.price(price).cost(quantity)))

    def _quota(self, name: str, resource: str, peak: float, unit: str = "per second") -> None:
        quota = self.prices.quota(name)
        self.report.quotas.append(QuotaUse(name, quota.what, resource, peak, quota.value, unit))

    def _api_resource(self, api_id: str) -> str:
        return self.api_resources.get(api_id, api_id)

    def _client_api(self) -> EventApiConfig:
        """The API whose namespaces the profile's channels name (the first API otherwise)."""
        wanted = set(self.traffic.channels) | set(self.traffic.audience)
        for api in self.stack.appsync_apis:
            if wanted <= {ns.name for ns in api.namespaces}:
                return api
        return self.stack.appsync_apis[0]


def _api_resources(stack: LocalStack) -> dict[str, str]:
    """AppSync API id -> the logical id of its AWS::AppSync::Api."""
    view = stack.view
    if view is None:
        return {}
    return {
        str(view.resolve({"Fn::GetAtt": [lid, "ApiId"]}, lid)): lid
        for lid in view.logical_ids("AWS::AppSync::Api")
    }


def _handler_function(api: EventApiConfig, namespace: str, operation: str) -> str | None:
    found = api.namespace(namespace)
    handler = None if found is None else (found.on_publish if operation == "publish" else found.on_subscribe)
    if handler is None or handler.data_source is None:
        return None
    source = next((s for s in api.data_sources if s.name == handler.data_source), None)
    return None if source is None else arns.function_name(source.function)


def cost_of(
    traffic: TrafficProfile,
    stack: LocalStack,
    paths: PathCheck,
    contribution: CheckContribution,
    prices: PriceList,
) -> tuple[CostReport, CheckResults]:
    """The month's cost report, and a failure for every quota a peak of the profile exceeds."""
    model = CostModel(traffic, stack, paths, contribution, prices)
    model.price_events()
    model.price_clients()
    model.price_functions()
    report = model.finish()
    results = CheckResults()
    for use in report.quotas:
        if use.exceeded:
            quota = prices.quotas.get(use.quota)
            adjustable = " (adjustable: ask for more in Service Quotas)" if quota and quota.adjustable else ""
            results.fail(
                Finding(
                    CAPACITY,
                    use.resource,
                    f"{use.what}: the profile's peak is {use.peak:,.1f} {use.unit}, over the limit of "
                    f"{use.limit:,.0f}{adjustable}",
                    hint="lower the peak, or raise the limit" if not adjustable else None,
                )
            )
    results.examined[CAPACITY] = f"{counted(len(report.quotas), 'quota')} at the profile's peak"
    return report, results
