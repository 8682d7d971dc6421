"""`vcn check` on this repository's template: today it fails on the defects issue 14 fixes (alarms without
`EventBusName`, transformer fields no rule guards, an API key nothing extends); copies with one defect of
each class seeded in fail on exactly that, naming the resource, with a counterexample for the path checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from vehicle_config.notifications import NOTIFICATIONS

from app_profile import PROFILE
from tests.check.conftest import PROJECT_TEMPLATE, Change, check, failure, keys, resources, seeded_copy
from vcn.check.runner import CheckReport

pytestmark = pytest.mark.slow

RULE_ALARMS = (
    "ConfigurationValidatedRuleFailedInvocationsAlarm",
    "ValidationReplyRuleFailedInvocationsAlarm",
    "SpecAdjustmentRecommendedRuleFailedInvocationsAlarm",
    "SupplyConstraintRuleFailedInvocationsAlarm",
)
SUPPLY = "SupplyConstraintRule"


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


def with_bus_dimension(document: dict[str, Any]) -> None:
    for alarm in RULE_ALARMS:
        properties = resources(document)[alarm]["Properties"]
        if all(d["Name"] != "EventBusName" for d in properties["Dimensions"]):
            properties["Dimensions"].insert(0, {"Name": "EventBusName", "Value": {"Ref": "VehicleConfigBus"}})


def test_todays_template_fails_on_the_alarms_that_can_never_fire(today: CheckReport) -> None:
    assert not today.passed
    for alarm in RULE_ALARMS:
        found = failure(today, "alarms", alarm)
        assert found.hint == "add the dimension EventBusName=vehicle-config"
        assert "never fires" in found.problem


def test_todays_template_fails_on_transformer_fields_no_rule_guards(today: CheckReport) -> None:
    lost = failure(today, "path", "ConfigurationValidatedRule", target="MarketChannel", kind="event-not-json")
    assert lost.culprit == "detail.violationCount left out"
    assert '"violationCount":,' in lost.problem
    quoted = failure(today, "path", SUPPLY, target="PlantChannel", kind="body-not-json")
    assert quoted.culprit == 'detail.constraintId = "\\""'
    assert quoted.outcome is not None and "without a trace" in quoted.outcome


def test_todays_api_key_expires_at_a_parameter_nothing_moves(today: CheckReport) -> None:
    found = failure(today, "api-key", "EventsApiKey")
    assert "parameter ApiKeyExpires" in found.problem


def test_todays_template_has_no_dead_ends_or_unwired_targets(today: CheckReport) -> None:
    for check_name in ("template", "dead-end", "targets", "secrets", "iam"):
        assert today.results.failures(check_name) == [], check_name


def test_an_unquoted_string_placeholder_fails_every_event_of_its_rule(tmp_path: Path) -> None:
    def unquote(document: dict[str, Any]) -> None:
        transformer = plant_target(document)["InputTransformer"]
        transformer["InputTemplate"] = transformer["InputTemplate"].replace(
            '\\"severity\\":\\"<severity>\\"', '\\"severity\\":<severity>'
        )

    found = failure(seeded(tmp_path, unquote), "path", SUPPLY, target="PlantChannel", kind="event-not-json")
    assert found.culprit is None
    assert found.counterexample == ordinary("SupplyConstraintRaised")
    assert '"severity":CRITICAL' in found.problem


def test_a_channel_with_too_many_segments_fails_every_event_of_its_rule(tmp_path: Path) -> None:
    def deep(document: dict[str, Any]) -> None:
        transformer = plant_target(document)["InputTransformer"]
        transformer["InputTemplate"] = transformer["InputTemplate"].replace(
            '"/plants/<plant>"', '"/plants/<plant>/<severity>/<partNumber>/<constraintId>/now"'
        )

    found = failure(seeded(tmp_path, deep), "path", SUPPLY, target="PlantChannel", kind="channel-invalid")
    assert "at most 5 segments" in found.problem
    assert found.culprit is None  # an ordinary event already breaks it


def test_a_field_missing_from_a_rule_pattern_guard_lets_events_without_it_through(tmp_path: Path) -> None:
    fields = NOTIFICATIONS["ConfigurationValidated"].detail_fields

    def guard(names: tuple[str, ...]) -> Change:
        def change(document: dict[str, Any]) -> None:
            pattern = resources(document)["ConfigurationValidatedRule"]["Properties"]["EventPattern"]
            pattern["detail"] = {name: [{"exists": True}] for name in names}

        return change

    def culprits(report: CheckReport) -> set[str | None]:
        return {
            f.culprit for f in report.results.failures("path") if f.resource == "ConfigurationValidatedRule"
        }

    guarded = seeded(tmp_path / "guarded", guard(fields))
    unguarded = seeded(tmp_path / "seeded", guard(tuple(f for f in fields if f != "configurationId")))
    assert "detail.configurationId left out" not in culprits(guarded)
    found = failure(
        unguarded, "path", "ConfigurationValidatedRule", target="MarketChannel", kind="fields-missing"
    )
    assert found.culprit == "detail.configurationId left out"
    assert "configurationId" in found.problem


def test_an_alarm_without_event_bus_name_is_the_only_alarm_failure(tmp_path: Path) -> None:
    def strip_one(document: dict[str, Any]) -> None:
        properties = resources(document)[RULE_ALARMS[3]]["Properties"]
        properties["Dimensions"] = [d for d in properties["Dimensions"] if d["Name"] != "EventBusName"]

    fixed = seeded(tmp_path / "fixed", with_bus_dimension)
    assert fixed.results.failures("alarms") == []
    report = seeded(tmp_path / "seeded", with_bus_dimension, strip_one)
    [found] = report.results.failures("alarms")
    assert found.resource == RULE_ALARMS[3]
    assert found.hint == "add the dimension EventBusName=vehicle-config"


def test_a_target_without_dead_letter_queue_is_reported_and_its_refusals_are_lost(
    tmp_path: Path, today: CheckReport
) -> None:
    def no_dlq(document: dict[str, Any]) -> None:
        del plant_target(document)["DeadLetterConfig"]

    report = seeded(tmp_path, no_dlq)
    found = failure(report, "targets", SUPPLY, target="PlantChannel")
    assert found.problem.startswith("no DeadLetterConfig")
    refused = failure(report, "path", SUPPLY, target="PlantChannel", kind="channel-invalid")
    assert refused.outcome is not None and refused.outcome.endswith("with no dead-letter queue it is lost")
    assert keys(report) - keys(today) == {("targets", SUPPLY, "PlantChannel", None)}


def test_a_namespace_whose_publish_modes_exclude_the_connections_mode_refuses_every_publish(
    tmp_path: Path,
) -> None:
    def iam_publishers(document: dict[str, Any]) -> None:
        resources(document)["PlantsNamespace"]["Properties"]["PublishAuthModes"] = [{"AuthType": "AWS_IAM"}]

    report = seeded(tmp_path, iam_publishers)
    found = failure(report, "path", SUPPLY, target="PlantChannel", kind="publish-auth-mode")
    assert "AppSyncConnection authenticates with API_KEY" in found.problem
    assert found.counterexample == ordinary("SupplyConstraintRaised")
    assert found.culprit is None


def test_a_scheduled_key_keeper_makes_the_key_lifetime_managed(tmp_path: Path) -> None:
    def keeper(document: dict[str, Any]) -> None:
        resources(document)["ApiKeyKeeperFunction"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "handlers.authorizer.handler",  # any module: vcn check does not run it
                "Policies": [
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "appsync:UpdateApiKey",
                                "Resource": {"Fn::Sub": "${EventsApi.ApiArn}/apikeys/*"},
                            }
                        ]
                    }
                ],
                "Events": {"Daily": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}},
            },
        }

    assert seeded(tmp_path, keeper).results.failures("api-key") == []


def test_every_detail_type_of_the_domain_is_an_event_kind() -> None:
    assert PROFILE.check is not None
    contribution = PROFILE.check()
    kinds = {kind.detail_type for kind in contribution.event_kinds}
    assert kinds == {*NOTIFICATIONS, "ValidationRequested"}
