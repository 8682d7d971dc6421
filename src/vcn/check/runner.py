"""`run_check`: every check of `vcn check` on one template, in order, into one report.

The template is loaded as the local cloud loads it (the app profile's parameter values, then the user's
overrides); its EventBridge resources are replayed into a local control plane; then the path check, the
dead ends, the operational wiring, the secrets and IAM checks, and (with a traffic profile) the cost model
run over it. Only the application's part (event kinds, fields clients read, who may subscribe, which sources
are trusted and which go through an ingress) comes from the app profile.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from vcn.check.alarms import check_alarms, watched_queues
from vcn.check.api_keys import check_api_keys
from vcn.check.appsync_invoke import check_appsync_invoke
from vcn.check.capacity import CostReport, cost_of
from vcn.check.contribution import CheckContribution
from vcn.check.dead_ends import check_dead_ends
from vcn.check.findings import DEAD_END, PATH, SOURCES, TEMPLATE, CheckResults, Finding, counted
from vcn.check.iam import check_breadth
from vcn.check.outputs import check_outputs
from vcn.check.paths import PathCheck, PathSettings
from vcn.check.pricing import load_prices
from vcn.check.routes import Routes, TemplateRefused, build_routes
from vcn.check.secrets import check_secrets
from vcn.check.sources import check_sources
from vcn.check.targets import check_targets
from vcn.check.traffic import TrafficError, TrafficProfile, read_traffic
from vcn.local.invoke import local_identity_at
from vcn.local.profile import AppProfile
from vcn.template import LocalEndpoints, LocalStack, load_stack


@dataclass(frozen=True)
class CheckOptions:
    template: Path
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    traffic: Path | None = None
    examples: int = 100  # events Hypothesis draws per event kind, beyond the explicit ones
    seed: int = 0


@dataclass
class CheckReport:
    template: Path
    results: CheckResults
    cost: CostReport | None = None
    traffic: Path | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.results.findings


def run_check(options: CheckOptions, profile: AppProfile) -> CheckReport:
    """Run every check; raises TemplateError (template unreadable) or TrafficError (bad profile)."""
    started = time.monotonic()
    traffic = read_traffic(options.traffic) if options.traffic is not None else None
    endpoints = LocalEndpoints()
    stack = load_stack(
        options.template,
        endpoints=endpoints,
        parameter_overrides=options.parameter_overrides,
        parameter_defaults=profile.local_parameters(local_identity_at(endpoints)),
    )
    view = stack.view
    assert view is not None  # load_stack always builds it
    results = CheckResults()
    report = CheckReport(options.template, results, traffic=options.traffic)
    contribution = profile.check() if profile.check is not None else None
    try:
        routes: Routes | None = build_routes(stack, view)
    except TemplateRefused as refused:
        routes = None
        results.fail(Finding(TEMPLATE, refused.resource, f"the local EventBridge refuses it: {refused}"))
    if routes is not None:
        results.examined[TEMPLATE] = f"{counted(len(stack.eventbridge_calls), 'EventBridge call')} replayed"
        _delivery_checks(stack, routes, contribution, options, traffic, results, report)
        results.merge(check_targets(routes, view, watched_queues(stack), stack.functions))
        results.merge(check_alarms(stack, routes))
    results.merge(check_api_keys(view))
    results.merge(check_secrets(stack, view))
    results.merge(check_outputs(view, stack.outputs, profile.stack_outputs))
    results.merge(check_breadth(view))
    results.merge(check_appsync_invoke(view))
    report.seconds = time.monotonic() - started
    return report


def _delivery_checks(
    stack: LocalStack,
    routes: Routes,
    contribution: CheckContribution | None,
    options: CheckOptions,
    traffic: TrafficProfile | None,
    results: CheckResults,
    report: CheckReport,
) -> None:
    """The path check, the dead ends and the cost model: they need the application's event kinds."""
    if contribution is None:
        for check in (SOURCES, PATH, DEAD_END):
            results.note(check, "not run: the app profile gives no event kinds (AppProfile.check)")
        return
    view = stack.view
    assert view is not None
    bus = contribution.bus_name or stack.event_bus_name
    bus_resource = routes.bus_resources.get(bus, bus)
    settings = PathSettings(options.examples, options.seed)
    watched = watched_queues(stack)
    sources = check_sources(view, contribution, bus_resource, watched)
    results.merge(sources.results)
    paths = PathCheck(routes.on_bus(bus), bus_resource, settings, watched, sources.trusted, sources.gates)
    results.merge(paths.run(contribution.event_kinds))
    results.merge(check_dead_ends(paths, contribution, view, bus))
    if traffic is not None:
        try:
            report.cost, quota_results = cost_of(traffic, stack, paths, contribution, load_prices())
        except TrafficError as exc:
            raise TrafficError(f"{options.traffic}: {exc}") from None
        results.merge(quota_results)
