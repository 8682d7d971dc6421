"""`vcn check` on a small shop template that passes, and on copies of it with one defect seeded each: the
failure names the resource (and the target), and a path failure carries its counterexample event."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.check.conftest import SHOP_TEMPLATE, Change, check, failure, resources, seeded_copy
from tests.check.shop_profile import ORDINARY, channels_for, order_shipped, shop_profile
from vcn.check.contribution import CheckContribution
from vcn.check.findings import Finding
from vcn.check.runner import CheckReport
from vcn.local.profile import AppProfile

RULE = "OrderShippedRule"
# The shop's events list, as its InputTemplate writes it
EVENTS = '["{\\"orderId\\":\\"<orderId>\\", \\"eventId\\":\\"<eventId>\\"}"]'
TARGET = "RegionChannel"
ORDINARY_EVENT = {"source": "shop.orders", "detail-type": "OrderShipped", "detail": ORDINARY}


def seeded(tmp_path: Path, change: Change, *, hostile: bool = False) -> CheckReport:
    return check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", change), shop_profile(hostile=hostile))


def target_of(document: dict[str, Any]) -> dict[str, Any]:
    target: dict[str, Any] = resources(document)[RULE]["Properties"]["Targets"][0]
    return target


def set_template(text: str) -> Change:
    def change(document: dict[str, Any]) -> None:
        target_of(document)["InputTransformer"]["InputTemplate"] = text

    return change


def publishing(channel: str, events: str = EVENTS) -> Change:
    return set_template(f'{{"channel": "{channel}", "events": {events}}}')


def publishing_failure(tmp_path: Path, kind: str, channel: str, events: str = EVENTS) -> Finding:
    """The one path failure of `kind` on the shop's target once its transformer publishes `events` there."""
    return failure(seeded(tmp_path, publishing(channel, events)), "path", RULE, target=TARGET, kind=kind)


def test_the_shop_passes_every_check() -> None:
    report = check(SHOP_TEMPLATE, shop_profile())
    assert report.passed, report.results.findings
    assert report.results.notes == []


def test_an_unquoted_string_placeholder_loses_every_event_and_names_the_rule_and_target(
    tmp_path: Path,
) -> None:
    unquoted = EVENTS.replace('\\"<orderId>\\"', "<orderId>")
    found = publishing_failure(tmp_path, "event-not-json", "/orders/<region>", unquoted)
    assert "ord-0001" in found.problem
    assert found.counterexample == ORDINARY_EVENT
    assert found.culprit is None  # an ordinary event breaks it: nothing to blame on a field


def test_a_channel_with_six_segments_is_refused(tmp_path: Path) -> None:
    found = publishing_failure(tmp_path, "channel-invalid", "/orders/<region>/a/b/c/d")
    assert "/orders/DE/a/b/c/d" in found.problem and "at most 5 segments" in found.problem
    assert found.counterexample == ORDINARY_EVENT


def test_a_channel_in_a_namespace_the_api_lacks_is_refused(tmp_path: Path) -> None:
    found = publishing_failure(tmp_path, "namespace-missing", "/order/<region>")
    assert "'order'" in found.problem and "orders" in found.problem


def test_a_notification_without_a_field_clients_read_is_reported(tmp_path: Path) -> None:
    found = publishing_failure(
        tmp_path, "fields-missing", "/orders/<region>", '["{\\"eventId\\":\\"<eventId>\\"}"]'
    )
    assert "orderId" in found.problem


def test_more_than_five_events_in_one_publish_are_refused(tmp_path: Path) -> None:
    event = '\\"<orderId>\\"'
    report = seeded(
        tmp_path,
        set_template('{"channel": "/orders/<region>", "events": [' + ", ".join([f'"{event}"'] * 6) + "]}"),
    )
    failure(report, "path", RULE, target=TARGET, kind="event-count")


def test_a_namespace_whose_publish_modes_exclude_the_connection_mode_is_reported(tmp_path: Path) -> None:
    def iam_only(document: dict[str, Any]) -> None:
        resources(document)["OrdersNamespace"]["Properties"]["PublishAuthModes"] = [{"AuthType": "AWS_IAM"}]

    found = failure(seeded(tmp_path, iam_only), "path", RULE, target=TARGET, kind="publish-auth-mode")
    assert "AWS_IAM" in found.problem and "API_KEY" in found.problem and "PublishConnection" in found.problem
    assert found.counterexample == ORDINARY_EVENT
    assert found.outcome is not None and "after the retry policy runs out" in found.outcome


def test_hostile_producers_break_an_unguarded_transformer_and_the_counterexample_shows_the_field(
    tmp_path: Path,
) -> None:
    report = check(SHOP_TEMPLATE, shop_profile(hostile=True))
    found = failure(report, "path", RULE, target=TARGET, kind="body-not-json")
    assert found.culprit == 'detail.region = "\\""'
    assert found.counterexample == {**ORDINARY_EVENT, "detail": {**ORDINARY, "region": '"'}}
    assert found.outcome is not None and "without a trace" in found.outcome


def guard_region_and_order_id(document: dict[str, Any]) -> None:
    """The rule lets through known regions only, and order ids without a quote or a backslash."""
    resources(document)[RULE]["Properties"]["EventPattern"]["detail"] = {
        "region": ["DE", "FR", "US"],
        "orderId": [{"anything-but": {"wildcard": ['*"*', "*\\\\*"]}}],
    }


def test_a_guard_that_keeps_breaking_values_out_removes_what_it_guards(tmp_path: Path) -> None:
    report = seeded(tmp_path, guard_region_and_order_id, hostile=True)
    culprits = {f.culprit for f in report.results.failures("path")}
    assert 'detail.region = "\\""' not in culprits
    assert 'detail.orderId = "\\""' not in culprits
    # What the guard cannot keep out is still found: an array matches when one element does, and an event
    # the guard refuses is matched by no rule at all.
    assert 'detail.region = ["DE"]' in culprits
    assert failure(report, "path", "OrdersBus", kind="unrouted").culprit == "detail.region left out"


def test_an_alarm_without_the_bus_dimension_never_fires_and_the_fix_names_it(tmp_path: Path) -> None:
    def rule_name_only(document: dict[str, Any]) -> None:
        alarm = resources(document)["OrderShippedFailuresAlarm"]["Properties"]
        alarm["Dimensions"] = [d for d in alarm["Dimensions"] if d["Name"] != "EventBusName"]

    found = failure(seeded(tmp_path, rule_name_only), "alarms", "OrderShippedFailuresAlarm")
    assert "{RuleName=OrderShippedRule}" in found.problem
    assert found.hint == "add the dimension EventBusName=orders"


def test_a_target_without_retry_policy_or_dead_letter_queue_is_reported(tmp_path: Path) -> None:
    def bare(document: dict[str, Any]) -> None:
        del target_of(document)["RetryPolicy"]
        del target_of(document)["DeadLetterConfig"]

    report = seeded(tmp_path, bare)
    problems = {f.problem.split(":")[0] for f in report.results.failures("targets") if f.target == TARGET}
    assert problems == {"no RetryPolicy", "no DeadLetterConfig"}
    # Without a dead-letter queue, what AppSync refuses is lost.
    assert all(f.resource == RULE for f in report.results.failures("targets"))


def test_a_dead_letter_queue_eventbridge_may_not_write_to_is_reported(tmp_path: Path) -> None:
    def other_rule(document: dict[str, Any]) -> None:
        statement = resources(document)["UndeliveredQueuePolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ][0]
        statement["Condition"]["ArnEquals"]["aws:SourceArn"] = (
            "arn:aws:events:us-east-1:000000000000:rule/orders/other"
        )

    found = failure(seeded(tmp_path, other_rule), "targets", RULE, target=TARGET)
    assert "UndeliveredQueue" in found.problem and "InvocationsFailedToBeSentToDlq" in found.problem


def test_an_api_key_nothing_extends_is_reported(tmp_path: Path) -> None:
    def no_keeper(document: dict[str, Any]) -> None:
        del resources(document)["KeyKeeperFunction"]["Properties"]["Events"]

    found = failure(seeded(tmp_path, no_keeper), "api-key", "EventsApiKey")
    assert "no Expires" in found.problem and "KeyKeeperFunction may extend it" in found.problem


def test_an_api_key_with_a_fixed_expiry_parameter_and_no_keeper_is_reported(tmp_path: Path) -> None:
    def fixed(document: dict[str, Any]) -> None:
        document["Parameters"] = {"KeyExpires": {"Type": "Number", "Default": "4102444800"}}
        resources(document)["EventsApiKey"]["Properties"]["Expires"] = {"Ref": "KeyExpires"}
        del resources(document)["KeyKeeperFunction"]

    found = failure(seeded(tmp_path, fixed), "api-key", "EventsApiKey")
    assert "parameter KeyExpires" in found.problem and "nothing extends it" in found.problem


@pytest.mark.parametrize("value", [{"Fn::GetAtt": ["EventsApiKey", "ApiKey"]}, {"Ref": "EventsApiKey"}])
def test_an_output_that_exposes_the_api_key_is_reported(tmp_path: Path, value: Any) -> None:
    def leak(document: dict[str, Any]) -> None:
        document["Outputs"]["PublishKey"] = {"Value": {"Fn::Sub": ["key ${Key}", {"Key": value}]}}

    found = failure(seeded(tmp_path, leak), "secrets", "Outputs.PublishKey")
    assert "EventsApiKey" in found.problem


def test_a_function_environment_variable_that_holds_the_api_key_is_reported(tmp_path: Path) -> None:
    def leak(document: dict[str, Any]) -> None:
        resources(document)["KeyKeeperFunction"]["Properties"]["Environment"] = {
            "Variables": {"PUBLISH_KEY": {"Fn::GetAtt": ["EventsApiKey", "ApiKey"]}}
        }

    found = failure(seeded(tmp_path, leak), "secrets", "KeyKeeperFunction")
    assert "environment variable PUBLISH_KEY" in found.problem and "EventsApiKey" in found.problem
    assert "function's configuration" in found.problem


def test_a_credential_written_in_the_template_is_reported(tmp_path: Path) -> None:
    def written(document: dict[str, Any]) -> None:
        auth = resources(document)["PublishConnection"]["Properties"]["AuthParameters"][
            "ApiKeyAuthParameters"
        ]
        auth["ApiKeyValue"] = "da2-writtenintothetemplate"

    found = failure(seeded(tmp_path, written), "secrets", "PublishConnection")
    assert "ApiKeyAuthParameters.ApiKeyValue" in found.problem


def test_iam_statements_allowing_every_action_or_writes_everywhere_are_reported(tmp_path: Path) -> None:
    def broad(document: dict[str, Any]) -> None:
        statements = resources(document)["KeyKeeperFunction"]["Properties"]["Policies"][0]["Statement"]
        statements.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
        statements.append(
            {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"], "Resource": "*"}
        )
        statements.append({"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"})

    problems = sorted(f.problem for f in seeded(tmp_path, broad).results.failures("iam"))
    assert problems == [
        "a statement allows every action (Action: *)",
        "a statement allows sqs:SendMessage on every resource (Resource: *)",
    ]


def test_a_rule_no_event_can_match_and_an_event_type_no_rule_routes_are_dead_ends(tmp_path: Path) -> None:
    def misspelt(document: dict[str, Any]) -> None:
        resources(document)[RULE]["Properties"]["EventPattern"]["detail-type"] = ["OrderShiped"]

    report = seeded(tmp_path, misspelt)
    rule = failure(report, "dead-end", RULE)
    assert "OrderShiped" in rule.problem
    unrouted = failure(report, "dead-end", "OrdersBus")
    assert "OrderShipped" in unrouted.problem
    assert failure(report, "path", "OrdersBus", kind="unrouted").counterexample == ORDINARY_EVENT


def test_a_channel_nobody_may_subscribe_to_is_a_dead_end(tmp_path: Path) -> None:
    def iam_subscribers(document: dict[str, Any]) -> None:
        resources(document)["OrdersNamespace"]["Properties"]["SubscribeAuthModes"] = [{"AuthType": "AWS_IAM"}]

    found = failure(seeded(tmp_path, iam_subscribers), "dead-end", RULE, target=TARGET)
    assert "nobody can subscribe to /orders/" in found.problem
    assert "appsync:EventSubscribe" in found.problem


def test_a_role_that_may_subscribe_gives_an_iam_namespace_its_subscribers(tmp_path: Path) -> None:
    def iam_subscribers(document: dict[str, Any]) -> None:
        resources(document)["OrdersNamespace"]["Properties"]["SubscribeAuthModes"] = [{"AuthType": "AWS_IAM"}]
        resources(document)["KeyKeeperFunction"]["Properties"]["Policies"][0]["Statement"].append(
            {
                "Effect": "Allow",
                "Action": "appsync:EventSubscribe",
                "Resource": {"Fn::Sub": "${EventsApi.ApiArn}/channelNamespace/orders"},
            }
        )

    assert seeded(tmp_path, iam_subscribers).results.failures("dead-end") == []


def test_the_local_eventbridge_refusing_a_pattern_is_reported_on_the_rule(tmp_path: Path) -> None:
    def bad_pattern(document: dict[str, Any]) -> None:
        resources(document)[RULE]["Properties"]["EventPattern"]["detail"] = {"count": [{"numeric": [">"]}]}

    found = failure(seeded(tmp_path, bad_pattern), "template", RULE)
    assert "Event pattern is not valid" in found.problem


def test_hostile_events_appsync_refuses_into_a_watched_queue_are_kept_not_failed(tmp_path: Path) -> None:
    report = seeded(tmp_path, guard_region_and_order_id, hostile=True)
    kept = [k for k in report.results.kept if k.kind == "event-too-large"]
    assert kept and kept[0].resource == RULE and kept[0].target == TARGET
    assert kept[0].outcome is not None and "UndeliveredQueue at once (an alarm watches it)" in kept[0].outcome
    assert not [f for f in report.results.failures("path") if f.kind == "event-too-large"]


def test_without_an_alarm_on_the_dead_letter_queue_refused_events_fail_and_the_queue_is_named(
    tmp_path: Path,
) -> None:
    def unwatched(document: dict[str, Any]) -> None:
        del resources(document)["UndeliveredQueueAlarm"]

    report = seeded(tmp_path, unwatched, hostile=True)
    refused = failure(report, "path", RULE, target=TARGET, kind="event-too-large")
    assert refused.outcome is not None and refused.outcome.endswith("(no alarm watches it)")
    found = failure(report, "targets", RULE, target=TARGET)
    assert (
        found.problem
        == "no alarm watches dead-letter queue UndeliveredQueue: what lands there goes unnoticed"
    )


REJECTED_RULE = "OrderShippedRejectedRule"


def guarded_with_a_rejecting_twin(document: dict[str, Any]) -> None:
    """The rule admits only orderIds without a quote or backslash; a second rule sends the rest, intact, to
    the watched queue. A list holding one clean orderId still passes the guard (any element may match)."""
    shop = resources(document)
    shop[RULE]["Properties"]["EventPattern"]["detail"] = {
        "region": ["DE", "FR", "US"],
        "orderId": [{"anything-but": {"wildcard": ['*"*', "*\\\\*"]}}],
    }
    shop[REJECTED_RULE] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventBusName": {"Ref": "OrdersBus"},
            "EventPattern": {
                "source": ["shop.orders"],
                "detail-type": ["OrderShipped"],
                "detail": {"orderId": [{"wildcard": '*"*'}, {"wildcard": "*\\\\*"}]},
            },
            "Targets": [{"Id": "Rejected", "Arn": {"Fn::GetAtt": ["UndeliveredQueue", "Arn"]}}],
        },
    }


def list_producer(*extra: Any) -> AppProfile:
    """Producers that wrap an orderId in a list beside a quote or a backslash (and send `extra` values)."""
    kind = replace(
        order_shipped(),
        replacements=lambda value: [[value, '"'], [value, "\\"], *extra] if value == "ord-0001" else [],
    )
    return AppProfile(name="shop", check=lambda: CheckContribution(event_kinds=(kind,)))


def test_a_broken_body_is_kept_when_another_rule_sends_the_event_to_a_watched_queue(tmp_path: Path) -> None:
    report = check(
        seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", guarded_with_a_rejecting_twin), list_producer()
    )
    assert report.passed, report.results.findings
    (kept,) = [k for k in report.results.kept if k.kind == "body-not-json"]
    assert (kept.resource, kept.target) == (RULE, TARGET)
    assert kept.counterexample == {**ORDINARY_EVENT, "detail": {**ORDINARY, "orderId": ["ord-0001", '"']}}
    assert kept.outcome is not None
    assert f"rule {REJECTED_RULE} sends it to queue UndeliveredQueue, which an alarm watches" in kept.outcome


def test_a_broken_body_the_rejecting_rule_misses_fails_with_that_counterexample(tmp_path: Path) -> None:
    template = seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", guarded_with_a_rejecting_twin)
    report = check(template, list_producer("\u0000"))
    found = failure(report, "path", RULE, target=TARGET, kind="body-not-json")
    assert found.counterexample == {**ORDINARY_EVENT, "detail": {**ORDINARY, "orderId": "\u0000"}}
    assert found.outcome is not None and "without a trace" in found.outcome


def test_a_rejecting_rule_keeps_nothing_when_no_alarm_watches_its_queue(tmp_path: Path) -> None:
    def unwatched(document: dict[str, Any]) -> None:
        guarded_with_a_rejecting_twin(document)
        del resources(document)["UndeliveredQueueAlarm"]

    report = check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", unwatched), list_producer())
    assert not report.results.kept
    found = failure(report, "path", RULE, target=TARGET, kind="body-not-json")
    assert found.outcome is not None and "without a trace" in found.outcome


def test_the_same_template_and_seed_give_the_same_report() -> None:
    first = check(SHOP_TEMPLATE, shop_profile(hostile=True))
    second = check(SHOP_TEMPLATE, shop_profile(hostile=True))
    assert first.results.findings == second.results.findings
    assert first.results.kept == second.results.kept


@pytest.mark.parametrize("channel", ["/orders/<eventId>", "/orders/all"])
def test_a_channel_the_application_does_not_send_the_event_to_is_misdirected(
    tmp_path: Path, channel: str
) -> None:
    """Clients read /orders/*, but a DE order belongs on /orders/DE: published elsewhere, its readers never
    receive it although AppSync takes the publish."""
    found = publishing_failure(tmp_path, "channel-misdirected", channel)
    rendered = channel.replace("<eventId>", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    assert (
        found.problem
        == f"OrderShipped: published to {rendered}; the application sends this event to /orders/DE"
    )
    assert found.counterexample == ORDINARY_EVENT
    assert found.outcome == "delivered where none of the event's clients subscribe: they never receive it"
    assert found.hint is not None and "channel the application sends the event to" in found.hint


def target_copy(channel: str | None = None) -> Change:
    """A second target on the rule: a copy of the first with another Id (publishing to `channel`, if any)."""

    def change(document: dict[str, Any]) -> None:
        copy = json.loads(json.dumps(target_of(document)))
        copy["Id"] = f"{TARGET}Copy"
        if channel is not None:
            transformer = copy["InputTransformer"]
            transformer["InputTemplate"] = transformer["InputTemplate"].replace("/orders/<region>", channel)
        resources(document)[RULE]["Properties"]["Targets"].append(copy)

    return change


def test_two_targets_publishing_the_same_event_to_the_same_channel_deliver_it_twice(tmp_path: Path) -> None:
    report = seeded(tmp_path, target_copy())
    found = failure(report, "path", RULE, target=f"{TARGET}Copy", kind="published-twice")
    assert found.problem == (
        f"OrderShipped: publishes the same events to /orders/DE of EventsApi as rule {RULE} target {TARGET}: "
        "subscribers receive the notification twice"
    )
    assert found.counterexample == ORDINARY_EVENT
    assert found.outcome is not None and "receives the same notification twice" in found.outcome
    assert {(f.check, f.resource, f.target) for f in report.results.findings} == {
        ("path", RULE, f"{TARGET}Copy")
    }


def test_one_event_published_to_two_channels_is_not_a_duplicate(tmp_path: Path) -> None:
    """An order the application sends to its region's channel and to /orders/all: two publishes, each once."""
    kind = replace(order_shipped(), channels_for=lambda detail: (*channels_for(detail), "/orders/all"))
    profile = AppProfile(name="shop", check=lambda: CheckContribution(event_kinds=(kind,)))
    report = check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", target_copy("/orders/all")), profile)
    assert report.passed, report.results.findings
