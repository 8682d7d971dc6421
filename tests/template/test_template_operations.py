"""What operating the stack relies on: alarms that can fire, logs that expire, retained queues, concurrency,
and deploy settings that make a plain `sam deploy` work in every environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.template.test_template_structure import of_type

REPO = Path(__file__).resolve().parents[2]
TOPIC_ACTIONS = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
SCHEDULE_RULE = "ApiKeyKeeperFunctionDaily"


def alarms(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in of_type(resources, "AWS::CloudWatch::Alarm").items()}


def dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def rule_name_of(value: Any) -> str:
    """The rule a RuleName dimension names: the name cut from its ARN, or the Ref of a default-bus rule."""
    if "Ref" in value:
        return str(value["Ref"])
    index, split = value["Fn::Select"]
    assert index == 2 and split["Fn::Split"][0] == "/", value  # arn:...:rule/<bus>/<rule> -> <rule>
    return str(split["Fn::Split"][1]["Fn::GetAtt"][0])


def samconfig() -> dict[str, Any]:
    return tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))


def overrides(environment: dict[str, Any]) -> dict[str, str]:
    listed = environment["deploy"]["parameters"]["parameter_overrides"]
    items = listed.split() if isinstance(listed, str) else listed
    return dict(item.split("=", 1) for item in items)


# ---- alarms


def test_every_alarm_on_a_custom_bus_rule_names_the_bus_and_the_rule(expanded: dict[str, Any]) -> None:
    resources = expanded["Resources"]
    rules = of_type(resources, "AWS::Events::Rule")
    watched = set()
    for name, alarm in alarms(resources).items():
        if alarm["Namespace"] != "AWS/Events":
            continue
        dims = dimensions(alarm)
        rule = rule_name_of(dims["RuleName"])
        watched.add(rule)
        bus = rules[rule]["Properties"].get("EventBusName")
        if bus is None:  # the default bus publishes RuleName alone
            assert set(dims) == {"RuleName"}, name
        else:  # a custom bus publishes EventBusName and RuleName together: an alarm on RuleName sees nothing
            assert dims == {"EventBusName": bus, "RuleName": dims["RuleName"]}, name
        assert alarm["MetricName"] == "FailedInvocations" and alarm["Statistic"] == "Sum", name
    assert watched == set(rules), "every rule needs a FailedInvocations alarm"


def test_every_queue_and_every_function_has_an_alarm(expanded: dict[str, Any]) -> None:
    resources = expanded["Resources"]
    by_metric: dict[tuple[str, str], set[str]] = {}
    for alarm in alarms(resources).values():
        for value in dimensions(alarm).values():
            if not isinstance(value, dict) or not ({"Ref", "Fn::GetAtt"} & set(value)):
                continue
            reference = value.get("Ref") or value["Fn::GetAtt"][0]
            by_metric.setdefault((alarm["Namespace"], alarm["MetricName"]), set()).add(reference)
    assert by_metric[("AWS/SQS", "ApproximateNumberOfMessagesVisible")] == set(
        of_type(resources, "AWS::SQS::Queue")
    )
    assert by_metric[("AWS/Lambda", "Errors")] == set(of_type(resources, "AWS::Lambda::Function"))
    assert by_metric[("AWS/Lambda", "Throttles")] == {"TokenAuthorizerFunction"}


def test_alarms_notify_the_topic_and_fire_on_any_failure(resources: dict[str, Any]) -> None:
    for name, alarm in alarms(resources).items():
        assert alarm["AlarmActions"] == TOPIC_ACTIONS, name
        if name == "ApiKeyLifetimeAlarm":
            continue
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0), name
        assert alarm["TreatMissingData"] == "notBreaching", name
        if alarm["Namespace"] == "AWS/SQS":
            assert (alarm["Statistic"], dimensions(alarm).keys()) == ("Maximum", {"QueueName"}), name
        if alarm["Namespace"] == "AWS/Lambda":
            assert (alarm["Statistic"], dimensions(alarm).keys()) == ("Sum", {"FunctionName"}), name


def test_the_key_lifetime_alarm_watches_the_keepers_metric_for_this_api(
    resources: dict[str, Any], template: dict[str, Any]
) -> None:
    alarm = alarms(resources)["ApiKeyLifetimeAlarm"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert alarm["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["MetricName"] == "ApiKeyDaysLeft"
    # Powertools adds `service`; the keeper adds ApiId, so two stacks in one account never mix their keys.
    assert dimensions(alarm) == {
        "service": variables["POWERTOOLS_SERVICE_NAME"],
        "ApiId": {"Fn::GetAtt": ["EventsApi", "ApiId"]},
    }
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Minimum",
        "LessThanThreshold",
        30,
    )
    # One daily report within 26 hours decides; none at all (the keeper stopped) notifies as well.
    assert alarm["Period"] * alarm["EvaluationPeriods"] >= 25 * 3600 and alarm["DatapointsToAlarm"] == 1
    assert alarm["TreatMissingData"] == "missing"
    assert alarm["InsufficientDataActions"] == TOPIC_ACTIONS


# ---- logs


def test_every_function_has_a_log_group_with_the_retention_parameter(expanded: dict[str, Any]) -> None:
    resources = expanded["Resources"]
    groups = {
        r["Properties"]["LogGroupName"]["Fn::Sub"]: r
        for r in of_type(resources, "AWS::Logs::LogGroup").values()
        if "LogGroupName" in r["Properties"]
    }
    for function in of_type(resources, "AWS::Lambda::Function"):
        group = groups.get(f"/aws/lambda/${{{function}}}")
        assert group is not None, f"{function} has no log group: Lambda would create one that never expires"
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, function
        assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Delete", function


def test_appsync_and_the_http_api_log_with_retention(resources: dict[str, Any]) -> None:
    log_config = resources["EventsApi"]["Properties"]["EventConfig"]["LogConfig"]
    assert log_config == {
        "LogLevel": {"Ref": "AppSyncLogLevel"},
        "CloudWatchLogsRoleArn": {"Fn::GetAtt": ["EventsApiLogsRole", "Arn"]},
    }
    group = resources["EventsApiLogGroup"]["Properties"]
    assert group == {
        "LogGroupName": {"Fn::Sub": "/aws/appsync/apis/${EventsApi.ApiId}"},
        "RetentionInDays": {"Ref": "LogRetentionDays"},
    }
    statement = resources["EventsApiLogsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::Sub": "${EventsApiLogGroup.Arn}:log-stream:*"},
        }
    ]
    access = resources["ConfigurationHttpApi"]["Properties"]["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ConfigurationHttpApiAccessLogGroup", "Arn"]}
    assert "$context.status" in access["Format"] and "$context.authorizer.error" in access["Format"]
    access_group = resources["ConfigurationHttpApiAccessLogGroup"]["Properties"]
    assert access_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# ---- limits


def test_the_configuration_api_has_reserved_concurrency_unless_zero(
    resources: dict[str, Any], template: dict[str, Any]
) -> None:
    reserved = resources["ConfigurationApiFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert reserved == {
        "Fn::If": [
            "ReservesConfigurationApiConcurrency",
            {"Ref": "ConfigurationApiConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert template["Conditions"]["ReservesConfigurationApiConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ConfigurationApiConcurrency"}, 0]}]
    }
    for other in ("TokenAuthorizerFunction", "SubscribeGuardFunction"):
        assert "ReservedConcurrentExecutions" not in resources[other]["Properties"], other


def test_the_api_name_is_a_parameter_within_appsyncs_limit(
    resources: dict[str, Any], template: dict[str, Any]
) -> None:
    assert resources["EventsApi"]["Properties"]["Name"] == {"Ref": "EventsApiName"}
    parameter = template["Parameters"]["EventsApiName"]
    allowed = re.compile(parameter["AllowedPattern"])
    assert allowed.fullmatch(parameter["Default"])
    assert allowed.fullmatch("x" * 50) and not allowed.fullmatch("x" * 51)
    assert not allowed.fullmatch("vehicle/config")
    assert "50" in parameter["ConstraintDescription"]


# ---- deploy settings


@pytest.mark.parametrize("environment", sorted(samconfig()))
def test_plain_sam_deploy_has_a_value_for_every_parameter(template: dict[str, Any], environment: str) -> None:
    if environment == "version":
        return
    given = overrides(samconfig()[environment])
    parameters = template["Parameters"]
    assert set(given) <= set(parameters), f"{environment} sets parameters the template lacks"
    missing = [name for name, p in parameters.items() if "Default" not in p and name not in given]
    assert not missing, f"`sam deploy --config-env {environment}` would ask for {missing}"
    for name, value in given.items():
        parameter = parameters[name]
        if "AllowedPattern" in parameter:
            assert re.fullmatch(parameter["AllowedPattern"], value), (environment, name, value)
        if "AllowedValues" in parameter:
            assert value in [str(v) for v in parameter["AllowedValues"]], (environment, name, value)


def test_environments_can_share_an_account() -> None:
    config = samconfig()
    environments = [name for name in config if name != "version"]
    assert len(environments) >= 2
    for key in ("EventBusName", "EventsApiName"):
        values = [overrides(config[name]).get(key) for name in environments]
        assert None not in values and len(set(values)) == len(values), (key, values)
    stacks = [config[name]["global"]["parameters"]["stack_name"] for name in environments]
    assert len(set(stacks)) == len(stacks)
