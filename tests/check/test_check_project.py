"""`vcn check` on this repository's template, and on copies with one defect of each class seeded in: each
fails on exactly that, naming the resource (and target), with a counterexample for the path checks.

The comparisons are with the template as it is, so they hold however many findings it has today."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from vehicle_config.notifications import NOTIFICATIONS

from app_profile import PROFILE
from tests.check.conftest import PROJECT_TEMPLATE, Change, check, failure, keys, resources, seeded_copy
from vcn.check.findings import Finding
from vcn.check.runner import CheckReport

pytestmark = pytest.mark.slow

SUPPLY = "SupplyConstraintRule"
VALIDATED = "ConfigurationValidatedRule"
SUPPLY_ALARM = "SupplyConstraintRuleFailedInvocationsAlarm"
BUS = "VehicleConfigBus"
VALIDATION_POLICY = "ValidationSourcePolicy"
CHECKED_SUPPLY_POLICY = "CheckedSupplySourcePolicy"


@pytest.fixture(scope="module")
def today() -> CheckReport:
    return check(PROJECT_TEMPLATE, PROFILE)


def seeded(folder: Path, *changes: Change) -> CheckReport:
    def apply(document: dict[str, Any]) -> None:
        for change in changes:
            change(document)

    return check(seeded_copy(PROJECT_TEMPLATE, folder, apply), PROFILE)


def ordinary(detail_type: str) -> dict[str, Any]:
    """The ordinary event of a detail-type, as a counterexample shows it."""
    assert PROFILE.check is not None
    kind = next(k for k in PROFILE.check().event_kinds if k.detail_type == detail_type)
    return {"source": kind.source, "detail-type": detail_type, "detail": dict(kind.typical)}


def plant_target(document: dict[str, Any]) -> dict[str, Any]:
    target: dict[str, Any] = resources(document)[SUPPLY]["Properties"]["Targets"][0]
    return target


def untrusted_validation(document: dict[str, Any]) -> None:
    """Anyone may put vehicle-config.validation: the check draws hostile events for it, as for anyone's."""
    del resources(document)[VALIDATION_POLICY]
    del resources(document)[CHECKED_SUPPLY_POLICY]["DependsOn"]


def unguarded(field: str) -> Change:
    """Drops one field from the validated rule's pattern guard."""

    def change(document: dict[str, Any]) -> None:
        del resources(document)[VALIDATED]["Properties"]["EventPattern"]["detail"][field]

    return change


def unguarded_failure(tmp_path: Path, field: str, target: str, kind: str) -> tuple[CheckReport, Finding]:
    """Anyone may put the validated source and the guard lacks `field`: the report and its one path failure
    of `kind` on `target`, which blames the field left out."""
    report = seeded(tmp_path, untrusted_validation, unguarded(field))
    found = failure(report, "path", VALIDATED, target=target, kind=kind)
    assert found.culprit == f"detail.{field} left out"
    return report, found


def new_failures(report: CheckReport, today: CheckReport) -> set[tuple[str, str, str | None, str | None]]:
    return keys(report) - keys(today)


def test_the_template_passes_every_check(today: CheckReport) -> None:
    checks = ("template", "sources", "path", "dead-end", "targets", "alarms", "api-key", "secrets", "outputs")
    for name in (*checks, "iam"):
        assert today.results.failures(name) == [], name
    assert today.passed
    # What supply systems put that the ingress refuses is kept (in the alarmed rejected queue), per type.
    refused = {f.problem.split(":")[0] for f in today.results.kept if f.kind == "refused-by-ingress"}
    assert refused == {"SupplyConstraintRaised", "SupplyConstraintCleared"}


def test_a_notification_rule_reading_the_open_source_directly_fails_with_a_counterexample(
    tmp_path: Path, today: CheckReport
) -> None:
    def bypass(document: dict[str, Any]) -> None:
        resources(document)[SUPPLY]["Properties"]["EventPattern"]["source"] = ["vehicle-config.supply"]

    report = seeded(tmp_path, bypass)
    found = failure(report, "path", SUPPLY, target="PlantChannel", kind="open-source-unchecked")
    assert found.counterexample == ordinary("SupplyConstraintRaised")
    assert found.counterexample["source"] == "vehicle-config.supply"
    assert "without its ingress SupplyIngressFunction" in found.problem
    assert found.outcome is not None and "drops without a trace" in found.outcome
    assert not report.passed and today.passed


def test_a_trusted_source_no_bus_policy_denies_to_others_fails_naming_the_bus(tmp_path: Path) -> None:
    def no_deny(document: dict[str, Any]) -> None:
        del resources(document)[CHECKED_SUPPLY_POLICY]

    report = seeded(tmp_path, no_deny)
    found = failure(report, "sources", BUS)
    assert found.problem.startswith("trusted source vehicle-config.supply.checked: no bus policy denies")
    assert found.hint is not None and "SupplyIngressFunction" in found.hint
    # Untrusted now, the source is drawn hostile too: a control character breaks the plant notification.
    broken = failure(report, "path", SUPPLY, target="PlantChannel", kind="body-not-json")
    assert broken.counterexample is not None
    assert broken.counterexample["source"] == "vehicle-config.supply.checked"


def test_a_bus_policy_exempting_more_or_fewer_than_the_emitters_fails_naming_the_policy(
    tmp_path: Path,
) -> None:
    def exempt_the_authorizer(document: dict[str, Any]) -> None:
        condition = resources(document)[CHECKED_SUPPLY_POLICY]["Properties"]["Statement"]["Condition"]
        condition["ArnNotEquals"]["aws:PrincipalArn"].append(
            {"Fn::GetAtt": ["TokenAuthorizerFunctionRole", "Arn"]}
        )

    def deny_the_worker(document: dict[str, Any]) -> None:
        condition = resources(document)[VALIDATION_POLICY]["Properties"]["Statement"]["Condition"]
        condition["ArnNotEquals"]["aws:PrincipalArn"].pop()  # ValidationWorkerFunctionRole

    wider = failure(seeded(tmp_path / "wider", exempt_the_authorizer), "sources", CHECKED_SUPPLY_POLICY)
    assert "also lets" in wider.problem and "TokenAuthorizerFunctionRole" in wider.problem
    narrower = failure(seeded(tmp_path / "narrower", deny_the_worker), "sources", VALIDATION_POLICY)
    assert "denies it to ValidationWorkerFunction, which emits it" in narrower.problem


def test_a_deny_narrowed_by_another_condition_proves_nothing(tmp_path: Path) -> None:
    def narrowed(document: dict[str, Any]) -> None:
        condition = resources(document)[VALIDATION_POLICY]["Properties"]["Statement"]["Condition"]
        condition["Bool"] = {"aws:SecureTransport": "false"}

    found = failure(seeded(tmp_path, narrowed), "sources", BUS)
    assert found.problem.startswith("trusted source vehicle-config.validation: no bus policy denies")


def test_events_within_the_producers_contract_reach_every_target_intact(today: CheckReport) -> None:
    assert PROFILE.check is not None
    kinds = {k.detail_type: k for k in PROFILE.check().event_kinds}
    for finding in today.results.failures("path"):
        assert finding.counterexample is not None
        kind = kinds[finding.counterexample["detail-type"]]
        assert kind.conforms is not None and not kind.conforms(finding.counterexample["detail"]), finding


def test_an_unquoted_string_placeholder_fails_the_ordinary_event(tmp_path: Path, today: CheckReport) -> None:
    def unquote(document: dict[str, Any]) -> None:
        transformer = plant_target(document)["InputTransformer"]
        transformer["InputTemplate"] = transformer["InputTemplate"].replace(
            '\\"severity\\":\\"<severity>\\"', '\\"severity\\":<severity>'
        )

    report = seeded(tmp_path, unquote)
    found = failure(report, "path", SUPPLY, target="PlantChannel", kind="event-not-json")
    assert found.culprit is None
    assert found.counterexample == ordinary("SupplyConstraintRaised")
    assert '"severity":CRITICAL' in found.problem
    assert ("path", SUPPLY, "PlantChannel", "event-not-json") in new_failures(report, today)


def test_a_channel_with_too_many_segments_fails_the_ordinary_event(tmp_path: Path) -> None:
    def deep(document: dict[str, Any]) -> None:
        transformer = plant_target(document)["InputTransformer"]
        transformer["InputTemplate"] = transformer["InputTemplate"].replace(
            '"/plants/<plant>"', '"/plants/<plant>/<severity>/<partNumber>/<constraintId>/now"'
        )

    found = failure(seeded(tmp_path, deep), "path", SUPPLY, target="PlantChannel", kind="channel-invalid")
    assert "at most 5 segments" in found.problem
    assert found.counterexample == ordinary("SupplyConstraintRaised")


def test_a_field_missing_from_a_rule_pattern_guard_lets_events_without_it_through(
    tmp_path: Path, today: CheckReport
) -> None:
    # The guard is defence in depth: it matters once anyone may put the source.
    _, found = unguarded_failure(tmp_path, "configurationId", "MarketChannel", "fields-missing")
    assert found.outcome == "delivered, but clients miss what they read"
    assert all(f.culprit != found.culprit for f in today.results.failures("path"))


def test_a_count_missing_from_a_guard_breaks_the_notification_even_if_the_refusal_is_kept(
    tmp_path: Path, today: CheckReport
) -> None:
    report, found = unguarded_failure(tmp_path, "violationCount", "UserChannel", "event-not-json")
    assert '"violationCount":,' in found.problem
    # AppSync's refusal lands in the watched dead-letter queue, but a guard could have kept the event out.
    assert found.outcome is not None and "(an alarm watches it)" in found.outcome
    assert ("path", VALIDATED, "UserChannel", "event-not-json") in new_failures(report, today)


def test_an_alarm_without_event_bus_name_is_reported_with_the_dimension_to_add(tmp_path: Path) -> None:
    def strip(document: dict[str, Any]) -> None:
        properties = resources(document)[SUPPLY_ALARM]["Properties"]
        properties["Dimensions"] = [d for d in properties["Dimensions"] if d["Name"] != "EventBusName"]

    [found] = seeded(tmp_path, strip).results.failures("alarms")
    assert found.resource == SUPPLY_ALARM
    assert found.hint == "add the dimension EventBusName=vehicle-config"
    assert "{RuleName=SupplyConstraintRule}" in found.problem


def test_a_target_without_dead_letter_queue_is_reported_and_what_appsync_refuses_is_lost(
    tmp_path: Path,
) -> None:
    def no_dlq(document: dict[str, Any]) -> None:
        del resources(document)[VALIDATED]["Properties"]["Targets"][0]["DeadLetterConfig"]

    # Hostile validation events (anyone may put the source here) that AppSync refuses are kept in the
    # watched dead-letter queue; without it they are lost, so they fail.
    untrusted = seeded(tmp_path / "untrusted", untrusted_validation)
    assert any(k.resource == VALIDATED and k.kind == "channel-invalid" for k in untrusted.results.kept)
    report = seeded(tmp_path / "no-dlq", untrusted_validation, no_dlq)
    found = failure(report, "targets", VALIDATED, target="MarketChannel")
    assert found.problem.startswith("no DeadLetterConfig")
    refused = failure(report, "path", VALIDATED, target="MarketChannel", kind="channel-invalid")
    assert refused.outcome is not None and refused.outcome.endswith("with no dead-letter queue it is lost")


def test_a_namespace_whose_publish_modes_exclude_the_connections_mode_fails_the_ordinary_event(
    tmp_path: Path,
) -> None:
    def iam_publishers(document: dict[str, Any]) -> None:
        resources(document)["PlantsNamespace"]["Properties"]["PublishAuthModes"] = [{"AuthType": "AWS_IAM"}]

    found = failure(
        seeded(tmp_path, iam_publishers), "path", SUPPLY, target="PlantChannel", kind="publish-auth-mode"
    )
    assert "AppSyncConnection authenticates with API_KEY" in found.problem
    assert found.counterexample == ordinary("SupplyConstraintRaised")


def test_token_subscribers_who_may_not_connect_make_every_channel_a_dead_end(tmp_path: Path) -> None:
    """The analysts subscribe with their tokens (AWS_LAMBDA): without it among the ConnectionAuthModes, no
    browser connects, though every publish still succeeds."""

    def no_token_connections(document: dict[str, Any]) -> None:
        config = resources(document)["EventsApi"]["Properties"]["EventConfig"]
        config["ConnectionAuthModes"] = [{"AuthType": "API_KEY"}, {"AuthType": "AWS_IAM"}]

    report = seeded(tmp_path, no_token_connections)
    found = failure(report, "dead-end", SUPPLY, target="PlantChannel")
    assert found.problem.startswith("nobody can subscribe to /plants/")
    assert "takes subscriptions with AWS_LAMBDA, which is not among the ConnectionAuthModes" in found.problem
    assert not any(f.check == "path" for f in report.results.findings)  # the publishes themselves are fine


def test_an_api_key_expiring_at_a_parameter_with_no_keeper_is_reported(tmp_path: Path) -> None:
    def fixed_expiry(document: dict[str, Any]) -> None:
        document["Parameters"]["ApiKeyExpires"] = {"Type": "Number"}
        resources(document)["EventsApiKey"]["Properties"]["Expires"] = {"Ref": "ApiKeyExpires"}
        del resources(document)["ApiKeyKeeperFunction"]["Properties"]["Events"]

    expires = "ApiKeyExpires=4102444800"
    report = check(
        seeded_copy(PROJECT_TEMPLATE, tmp_path, fixed_expiry),
        PROFILE,
        parameter_overrides=dict([expires.split("=")]),
    )
    found = failure(report, "api-key", "EventsApiKey")
    assert "parameter ApiKeyExpires" in found.problem
    assert "ApiKeyKeeperFunction may extend it, but no schedule runs it" in found.problem


def test_every_detail_type_of_the_domain_is_an_event_kind() -> None:
    assert PROFILE.check is not None
    kinds = {kind.detail_type for kind in PROFILE.check().event_kinds}
    assert kinds == {*NOTIFICATIONS, "ValidationRequested"}


WORKER = "ValidationWorkerFunction"
WORKER_RULE = "ValidationWorkerFunctionValidationRequested"  # the rule SAM makes of its EventBridgeRule event


def test_a_function_target_keeps_what_lambda_refuses_and_what_the_function_fails_on(tmp_path: Path) -> None:
    """The worker's rule and the worker itself each need a queue: without the rule's, a validation request
    Lambda does not accept is dropped; without the function's, one the worker keeps failing on is."""

    def no_queues(document: dict[str, Any]) -> None:
        worker = resources(document)[WORKER]["Properties"]
        del worker["Events"]["ValidationRequested"]["Properties"]["DeadLetterConfig"]
        del worker["DeadLetterQueue"]

    report = seeded(tmp_path, no_queues)
    rule = failure(report, "targets", WORKER_RULE, target=f"{WORKER_RULE}LambdaTarget")
    assert rule.problem == "no DeadLetterConfig: an event that still fails after the retries is dropped"
    function = failure(report, "targets", WORKER)
    assert function.problem.startswith("no DeadLetterQueue and no OnFailure destination")
    found = {(f.check, f.resource) for f in report.results.findings}
    assert found == {("targets", WORKER_RULE), ("targets", WORKER)}


def test_an_unwatched_function_dead_letter_queue_is_reported_for_the_rule_and_the_function(
    tmp_path: Path,
) -> None:
    def unwatched(document: dict[str, Any]) -> None:
        del resources(document)["ValidationDeadLetterQueueAlarm"]

    report = seeded(tmp_path, unwatched)
    rule = failure(report, "targets", WORKER_RULE, target=f"{WORKER_RULE}LambdaTarget")
    assert rule.problem.startswith("no alarm watches dead-letter queue ValidationDeadLetterQueue")
    function = failure(report, "targets", WORKER)
    assert function.problem == (
        "no alarm watches ValidationDeadLetterQueue, where the function's failed events go: they go unnoticed"
    )


RECORDER = "HistoryRecorderFunction"
RECORDING = (
    "(AppSync invokes it asynchronously, as the EVENT-mode OnPublish of namespace MarketsNamespace, "
    "OnPublish of namespace UsersNamespace, OnPublish of namespace PlantsNamespace)"
)


def no_on_failure(document: dict[str, Any]) -> None:
    del resources(document)[RECORDER]["Properties"]["EventInvokeConfig"]["DestinationConfig"]


def alarm_on_another_queue(document: dict[str, Any]) -> None:
    alarm = resources(document)["HistoryRecorderFailureQueueAlarm"]["Properties"]
    alarm["Dimensions"][0]["Value"] = {"Fn::GetAtt": ["RejectedNotificationQueue", "QueueName"]}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (no_on_failure, "no DeadLetterQueue and no OnFailure destination: an event the function fails on"),
        (alarm_on_another_queue, "no alarm watches HistoryRecorderFailureQueue, where the function's failed"),
    ],
)
def test_a_function_appsync_invokes_asynchronously_keeps_what_it_fails_on(
    tmp_path: Path, change: Change, problem: str
) -> None:
    """The OnPublish recorder runs in EVENT mode, as a rule runs a function target: a publish it fails to
    record is retried by Lambda and then dropped unless a queue an alarm watches keeps it."""
    report = seeded(tmp_path, change)
    found = failure(report, "targets", RECORDER)
    assert found.problem.startswith(problem) and found.problem.endswith(RECORDING)
    assert {(f.check, f.resource) for f in report.results.findings} == {("targets", RECORDER)}


def test_a_scheduled_rules_target_needs_no_queue(today: CheckReport) -> None:
    """The key keeper runs on a schedule with no dead-letter queue: a tick holds no data to keep."""
    assert today.results.examined["targets"] == (
        "6 API-destination targets, 2 function targets and 1 EVENT-mode namespace handler"
    )
    assert "ApiKeyKeeperFunction" not in {finding.resource for finding in today.results.findings}


def test_a_market_channel_with_its_segments_swapped_reaches_none_of_its_readers(tmp_path: Path) -> None:
    """`/markets/ARC/DE` is a valid channel in a namespace clients read, so AppSync takes the publish; but the
    domain sends a validation to `/markets/<market>/<modelLine>`, where a DE analyst's grants reach."""

    def swapped(document: dict[str, Any]) -> None:
        target = resources(document)[VALIDATED]["Properties"]["Targets"][0]
        transformer = target["InputTransformer"]
        transformer["InputTemplate"] = transformer["InputTemplate"].replace(
            "/markets/<market>/<modelLine>", "/markets/<modelLine>/<market>"
        )

    report = seeded(tmp_path, swapped)
    found = failure(report, "path", VALIDATED, target="MarketChannel", kind="channel-misdirected")
    detail = ordinary("ConfigurationValidated")["detail"]
    market, line, user = detail["market"], detail["modelLine"], detail["submittedBy"]
    assert found.problem == (
        f"ConfigurationValidated: published to /markets/{line}/{market}; the application sends this event to "
        f"/markets/{market}/{line}, /users/{user}"
    )
    assert found.counterexample == ordinary("ConfigurationValidated")
    assert {key[:3] for key in keys(report)} == {("path", VALIDATED, "MarketChannel")}
