"""Dead ends: event types no rule routes, rules no event can match, channels nobody may subscribe to.

- An event type is routed when its ordinary detail matches an enabled rule of the bus; one whose clients read
  it (`EventKind.fields_read`) must also reach a target that publishes to AppSync Events, or they never
  receive it (its API destinations call another endpoint).
- A rule can match when some event the producers can emit matches it: one seen by the path check, or one
  Hypothesis finds when asked for exactly that.
- A channel has possible subscribers when its namespace takes subscriptions with an API key, with IAM and a
  role of the template may `appsync:EventSubscribe` on the namespace, or with tokens (Lambda authorizer,
  OIDC, Cognito) and the application says some token may subscribe to it.
"""

from __future__ import annotations

from vcn.appsync.config import AuthType
from vcn.check.contribution import CheckContribution
from vcn.check.findings import DEAD_END, CheckResults, Finding, counted
from vcn.check.iam import principals_allowed
from vcn.check.paths import PathCheck, abbreviated
from vcn.check.routes import AppSyncDestination
from vcn.template.view import TemplateView

TOKEN_MODES: frozenset[AuthType] = frozenset({"AWS_LAMBDA", "OPENID_CONNECT", "AMAZON_COGNITO_USER_POOLS"})
CHANNELS_ASKED = 20  # channels per target whose subscribers are checked


def check_dead_ends(
    paths: PathCheck, contribution: CheckContribution, view: TemplateView, bus: str
) -> CheckResults:
    results = CheckResults()
    kinds = contribution.event_kinds
    for kind in kinds:
        event = paths.event(kind, kind.typical)
        deliveries = list(paths.deliveries(kind, event)) if event is not None else []
        if deliveries and kind.fields_read is not None and all(d.target.appsync is None for d in deliveries):
            results.fail(
                Finding(
                    DEAD_END,
                    paths.bus_resource,
                    f"no rule on bus {bus} publishes an ordinary {kind.detail_type} (source {kind.source}) "
                    "to AppSync Events: its clients never receive it",
                    hint="target an API destination of the AppSync API's publish endpoint, POST "
                    "https://<Dns.Http>/event",
                    counterexample={
                        "source": kind.source,
                        "detail-type": kind.detail_type,
                        "detail": abbreviated(kind.typical),
                    },
                )
            )
        if not deliveries:
            results.fail(
                Finding(
                    DEAD_END,
                    paths.bus_resource,
                    f"no rule on bus {bus} routes an ordinary {kind.detail_type} (source {kind.source})",
                    hint="add a rule for it, or drop it from what producers emit",
                    counterexample={
                        "source": kind.source,
                        "detail-type": kind.detail_type,
                        "detail": abbreviated(kind.typical),
                    },
                )
            )
    for index, route in enumerate(paths.rules):
        if route.logical_id in paths.observations.matched_rules:
            continue
        if any(paths.find_matching(kind, route, index) is not None for kind in kinds):
            continue
        pattern = route.rule.event_pattern or ""
        results.fail(
            Finding(
                DEAD_END,
                route.logical_id,
                f"no event the producers can emit matches this rule's pattern {pattern[:300]}",
                hint="fix the pattern (a source, detail-type or field name that no producer uses?)",
            )
        )
    asked = 0
    for route in paths.rules:
        for target in route.targets:
            channels = paths.observations.channels.get((route.logical_id, target.target.id), {})
            if target.appsync is None:
                continue
            for channel, (kind, detail) in list(channels.items())[:CHANNELS_ASKED]:
                asked += 1
                why = _nobody_subscribes(channel, target.appsync, contribution, view)
                if why is None:
                    continue
                results.fail(
                    Finding(
                        DEAD_END,
                        route.logical_id,
                        f"nobody can subscribe to {channel}: {why}",
                        target=target.target.id,
                        hint="publish where clients may subscribe, or grant them the channel",
                        counterexample={
                            "source": kind.source,
                            "detail-type": kind.detail_type,
                            "detail": abbreviated(detail),
                        },
                    )
                )
                break
    rules = len(paths.rules)
    types, rule_count = counted(len(kinds), "event type"), counted(rules, "rule")
    results.examined[DEAD_END] = f"{types}, {rule_count}, subscribers of {counted(asked, 'channel')}"
    return results


def _nobody_subscribes(
    channel: str, destination: AppSyncDestination, contribution: CheckContribution, view: TemplateView
) -> str | None:
    """Why no client may subscribe to the channel, or None when some may."""
    api = destination.api
    namespace = api.namespace(channel.strip("/").split("/")[0])
    if namespace is None:
        return "its namespace does not exist"
    subscribe = set(namespace.subscribe_auth_modes or api.default_subscribe_auth_modes)
    # A client connects with the credentials it subscribes with: a mode it may not connect with is no use.
    modes = subscribe & set(api.connection_auth_modes)
    if "API_KEY" in modes:
        return None
    if "AWS_IAM" in modes:
        arn = f"{api.api_arn}/channelNamespace/{namespace.name}"
        if principals_allowed(view, "appsync:EventSubscribe", arn):
            return None
    grants = contribution.may_subscribe
    if modes & TOKEN_MODES and (grants is None or grants(channel)):
        return None
    reasons = []
    if subscribe - modes:
        unconnected = ", ".join(sorted(subscribe - modes))
        reasons.append(
            f"namespace {namespace.name} takes subscriptions with {unconnected}, which is not among the "
            f"ConnectionAuthModes of {api.name} ({', '.join(api.connection_auth_modes) or 'none'}): "
            "a client holding it cannot connect"
        )
    if "AWS_IAM" in modes:
        reasons.append(f"no role of the template may appsync:EventSubscribe on namespace {namespace.name}")
    if modes & TOKEN_MODES:
        reasons.append("the application grants no token a subscription to it")
    if not reasons:
        reasons.append(
            f"namespace {namespace.name} takes subscriptions with {', '.join(sorted(subscribe)) or 'no mode'}"
        )
    return "; ".join(reasons)
