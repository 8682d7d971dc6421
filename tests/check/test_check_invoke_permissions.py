"""Whether EventBridge may call what a rule targets: an API destination as the target's role, a function
through its resource policy. Each seeded defect fails the targets check on the rule and target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app_profile import PROFILE
from tests.check.conftest import (
    PROJECT_TEMPLATE,
    SHOP_TEMPLATE,
    Change,
    check,
    failure,
    resources,
    seeded_copy,
)
from tests.check.shop_profile import shop_profile
from vcn.check.findings import Finding
from vcn.check.runner import CheckReport

RULE, TARGET = "OrderShippedRule", "RegionChannel"


def shop_failure(tmp_path: Path, change: Change) -> Finding:
    report = check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", change), shop_profile())
    assert {(f.check, f.resource, f.target) for f in report.results.findings} == {("targets", RULE, TARGET)}
    return failure(report, "targets", RULE, target=TARGET)


def project_report(tmp_path: Path, change: Change) -> CheckReport:
    return check(seeded_copy(PROJECT_TEMPLATE, tmp_path / "project", change), PROFILE)


def role_statement(document: dict[str, Any]) -> dict[str, Any]:
    role = resources(document)["PublishRole"]["Properties"]
    statement: dict[str, Any] = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    return statement


def test_a_target_without_a_role_cannot_call_its_api_destination(tmp_path: Path) -> None:
    def no_role(document: dict[str, Any]) -> None:
        del resources(document)[RULE]["Properties"]["Targets"][0]["RoleArn"]

    found = shop_failure(tmp_path, no_role)
    assert found.problem.startswith("no RoleArn: EventBridge has no role to call API destination")
    assert found.hint is not None and "PublishDestination.ArnForPolicy" in found.hint


def test_a_role_eventbridge_may_not_assume_fails_every_delivery(tmp_path: Path) -> None:
    def lambda_trust(document: dict[str, Any]) -> None:
        trust = resources(document)["PublishRole"]["Properties"]["AssumeRolePolicyDocument"]
        trust["Statement"][0]["Principal"]["Service"] = "lambda.amazonaws.com"

    found = shop_failure(tmp_path, lambda_trust)
    assert found.problem == (
        "role PublishRole does not let events.amazonaws.com assume it: every delivery to "
        "PublishDestination fails"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Action", "events:InvokeApiDestinations"),
        ("Resource", "arn:aws:events:us-east-1:000000000000:api-destination/Other/*"),
    ],
)
def test_a_role_that_may_not_invoke_the_destination_fails_every_delivery(
    tmp_path: Path, key: str, value: str
) -> None:
    def typo(document: dict[str, Any]) -> None:
        role_statement(document)[key] = value

    found = shop_failure(tmp_path, typo)
    assert found.problem == (
        "role PublishRole may not events:InvokeApiDestination on PublishDestination: every delivery fails"
    )


def test_a_role_of_another_stack_is_noted_as_not_verified(tmp_path: Path) -> None:
    def elsewhere(document: dict[str, Any]) -> None:
        target = resources(document)[RULE]["Properties"]["Targets"][0]
        target["RoleArn"] = "arn:aws:iam::000000000000:role/shared-invoker"

    report = check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", elsewhere), shop_profile())
    assert report.passed, report.results.findings
    assert any("not verified" in n.text and "shared-invoker" in n.text for n in report.results.notes)


@pytest.mark.slow
def test_a_function_permission_for_another_rule_leaves_the_function_target_uninvoked(tmp_path: Path) -> None:
    def other_rule(document: dict[str, Any]) -> None:
        permission = resources(document)["SupplyIngressInvokePermission"]["Properties"]
        permission["SourceArn"] = {"Fn::GetAtt": ["ConfigurationValidatedRule", "Arn"]}

    report = project_report(tmp_path, other_rule)
    found = failure(report, "targets", "SupplyIngressRule", target="SupplyIngress")
    assert found.problem.startswith(
        "EventBridge may not invoke function SupplyIngressFunction for this rule "
        "(SupplyIngressInvokePermission lets events.amazonaws.com invoke it only for another SourceArn)"
    )
    assert found.hint is not None and "SourceArn !GetAtt SupplyIngressRule.Arn" in found.hint
    assert {(f.check, f.resource) for f in report.results.findings} == {("targets", "SupplyIngressRule")}


@pytest.mark.slow
def test_the_permission_sam_generates_for_an_eventbridge_rule_event_counts(tmp_path: Path) -> None:
    """The worker's rule comes from its `EventBridgeRule` event, whose permission SAM adds; with the event's
    rule gone to a plain rule, a permission must be written."""

    def plain_rule(document: dict[str, Any]) -> None:
        worker = resources(document)["ValidationWorkerFunction"]["Properties"]
        event = worker["Events"].pop("ValidationRequested")["Properties"]
        resources(document)["WorkerRule"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": event["EventBusName"],
                "EventPattern": event["Pattern"],
                "Targets": [
                    {
                        "Id": "Worker",
                        "Arn": {"Fn::GetAtt": ["ValidationWorkerFunction", "Arn"]},
                        "RetryPolicy": event["RetryPolicy"],
                        "DeadLetterConfig": event["DeadLetterConfig"],
                    }
                ],
            },
        }

    report = project_report(tmp_path, plain_rule)
    problems = [f.problem for f in report.results.failures("targets") if f.resource == "WorkerRule"]
    assert (
        "EventBridge may not invoke function ValidationWorkerFunction for this rule "
        "(no AWS::Lambda::Permission lets events.amazonaws.com invoke it): every event fails to be delivered"
    ) in problems


@pytest.mark.slow
def test_a_lambda_authorizer_appsync_may_not_invoke_refuses_every_subscriber(tmp_path: Path) -> None:
    def api_gateway(document: dict[str, Any]) -> None:
        resources(document)["TokenAuthorizerInvokePermission"]["Properties"]["Principal"] = (
            "apigateway.amazonaws.com"
        )

    report = project_report(tmp_path, api_gateway)
    found = failure(report, "iam", "TokenAuthorizerFunction")
    assert found.problem == (
        "AppSync may not invoke TokenAuthorizerFunction, the Lambda authorizer of EventsApi (no "
        "AWS::Lambda::Permission lets appsync.amazonaws.com invoke it): every connect and subscribe with "
        "AWS_LAMBDA is refused"
    )
    assert found.hint is not None and "Principal appsync.amazonaws.com" in found.hint
    assert {(f.check, f.resource) for f in report.results.findings} == {("iam", "TokenAuthorizerFunction")}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda role: role["Policies"][0]["PolicyDocument"]["Statement"][0].update(
                Resource={"Fn::GetAtt": ["HistoryRecorderFunction", "Arn"]}
            ),
            "role SubscribeGuardDataSourceRole may not lambda:InvokeFunction on SubscribeGuardFunction",
        ),
        (
            lambda role: role["AssumeRolePolicyDocument"]["Statement"][0].update(
                Principal={"Service": "lambda.amazonaws.com"}
            ),
            "role SubscribeGuardDataSourceRole does not let appsync.amazonaws.com assume it",
        ),
    ],
)
def test_a_data_source_role_that_cannot_invoke_its_function_fails_every_handler_using_it(
    tmp_path: Path, change: Any, problem: str
) -> None:
    report = project_report(
        tmp_path, lambda d: change(resources(d)["SubscribeGuardDataSourceRole"]["Properties"])
    )
    found = failure(report, "iam", "SubscribeGuardDataSource")
    assert found.problem == (
        f"{problem}: every OnSubscribe of namespace MarketsNamespace, OnSubscribe of namespace "
        "UsersNamespace, OnSubscribe of namespace PlantsNamespace fails"
    )
    assert {(f.check, f.resource) for f in report.results.findings} == {("iam", "SubscribeGuardDataSource")}


@pytest.mark.slow
def test_a_data_source_role_of_another_stack_is_noted_as_not_verified(tmp_path: Path) -> None:
    def elsewhere(document: dict[str, Any]) -> None:
        source = resources(document)["SubscribeGuardDataSource"]["Properties"]
        source["ServiceRoleArn"] = "arn:aws:iam::000000000000:role/shared-invoker"

    report = project_report(tmp_path, elsewhere)
    assert report.passed, report.results.findings
    assert any(
        "SubscribeGuardDataSource" in n.text and "shared-invoker" in n.text for n in report.results.notes
    )
