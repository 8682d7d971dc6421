"""template.yaml's notification history: the table the adapter expects, recording off the delivery path,
failures kept and alarmed, and IAM scoped to the table, its indexes and each function's own items."""

from __future__ import annotations

from typing import Any

import pytest
from adapters.history_table import (
    NOTIFICATION,
    PARTITION_KEY,
    PREFIX_INDEXES,
    SORT_KEY,
    TTL_ATTRIBUTE,
    DynamoDbClient,
)
from vehicle_config.history.selectors import MAX_PREFIX_DEPTH

from tests.template.test_template_structure import as_list, of_type, policy_statements

TABLE = "NotificationHistoryTable"
TABLE_ARN = {"Fn::GetAtt": [TABLE, "Arn"]}
INDEX_ARNS = {"Fn::Sub": f"${{{TABLE}.Arn}}/index/*"}
RECORDED_NAMESPACES = {"markets", "users", "plants"}


def dynamodb_statements(expanded: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, statement)
        for name, statement in policy_statements(expanded["Resources"])
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
    ]


def test_the_table_is_on_demand_with_ttl_and_parameterised_point_in_time_recovery(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    (table_id,) = of_type(resources, "AWS::DynamoDB::Table")
    assert table_id == TABLE
    table = resources[TABLE]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": {"Fn::If": ["HasHistoryPointInTimeRecovery", True, False]}
    }
    assert template["Conditions"]["HasHistoryPointInTimeRecovery"] == {
        "Fn::Equals": [{"Ref": "HistoryPointInTimeRecovery"}, "enabled"]
    }
    parameters = template["Parameters"]
    assert parameters["HistoryPointInTimeRecovery"]["AllowedValues"] == ["enabled", "disabled"]
    assert parameters["HistoryRetentionDays"]["Default"] == 30
    assert parameters["HistoryRetentionDays"]["MinValue"] == 1


def test_the_keys_and_indexes_are_the_ones_the_adapter_queries(resources: dict[str, Any]) -> None:
    table = resources[TABLE]["Properties"]
    assert table["KeySchema"] == [
        {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert len(PREFIX_INDEXES) == MAX_PREFIX_DEPTH  # one per possible depth of a wildcard's prefix
    assert set(indexes) == set(PREFIX_INDEXES)
    for name, attribute in PREFIX_INDEXES.items():
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": attribute, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ]
        # A page is served from the index alone: the notification travels with the keys.
        assert indexes[name]["Projection"] == {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": [NOTIFICATION],
        }
    defined = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    assert defined == {PARTITION_KEY: "S", SORT_KEY: "S", **dict.fromkeys(PREFIX_INDEXES.values(), "S")}


def test_the_recorder_is_the_event_mode_on_publish_handler_of_each_recorded_namespace(
    resources: dict[str, Any],
) -> None:
    namespaces = {
        r["Properties"]["Name"]: r["Properties"]
        for r in of_type(resources, "AWS::AppSync::ChannelNamespace").values()
    }
    for name, properties in namespaces.items():
        on_publish = (properties.get("HandlerConfigs") or {}).get("OnPublish")
        if name not in RECORDED_NAMESPACES:
            assert on_publish is None, name
            continue
        assert on_publish == {
            "Behavior": "DIRECT",
            "Integration": {
                "DataSourceName": {"Fn::GetAtt": ["HistoryRecorderDataSource", "Name"]},
                "LambdaConfig": {"InvokeType": "EVENT"},
            },
        }, name
        # one OnPublish and one OnSubscribe per namespace: the guard stays
        assert set(properties["HandlerConfigs"]) == {"OnPublish", "OnSubscribe"}, name


def test_failed_recordings_are_retried_then_kept_in_an_alarmed_queue(
    resources: dict[str, Any], expanded: dict[str, Any]
) -> None:
    config = resources["HistoryRecorderFunction"]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["HistoryRecorderFailureQueue", "Arn"]}}
    }
    queue = resources["HistoryRecorderFailureQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 1209600 and queue["SqsManagedSseEnabled"] is True
    alarm = resources["HistoryRecorderFailureQueueAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["HistoryRecorderFailureQueue", "QueueName"]}}
    ]
    # The function's role may send its failures to that queue and nowhere else.
    sends = [
        s
        for _, s in policy_statements({"role": expanded["Resources"]["HistoryRecorderFunctionRole"]})
        if "sqs:SendMessage" in as_list(s["Action"])
    ]
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": ["HistoryRecorderFailureQueue", "Arn"]}]


def test_dynamodb_access_is_scoped_to_the_table_and_its_indexes_and_never_scans(
    expanded: dict[str, Any],
) -> None:
    statements = dynamodb_statements(expanded)
    assert {name for name, _ in statements} == {"HistoryRecorderFunctionRole", "HistoryApiFunctionRole"}
    for name, statement in statements:
        for resource in as_list(statement["Resource"]):
            assert resource in (TABLE_ARN, INDEX_ARNS), (name, resource)
        for action in as_list(statement["Action"]):
            assert action != "dynamodb:Scan", name
    assert not hasattr(DynamoDbClient, "scan")  # the adapter's client port has no Scan to call


def test_the_recorder_may_only_put_notifications_and_their_event_guards(expanded: dict[str, Any]) -> None:
    recorder = [s for name, s in dynamodb_statements(expanded) if name == "HistoryRecorderFunctionRole"]
    assert recorder == [
        {
            "Effect": "Allow",
            "Action": "dynamodb:PutItem",
            "Resource": TABLE_ARN,
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["CHANNEL#*", "EVENT#*"]}},
        }
    ]


def test_the_history_api_queries_and_writes_only_read_state(expanded: dict[str, Any]) -> None:
    api = [s for name, s in dynamodb_statements(expanded) if name == "HistoryApiFunctionRole"]
    assert api == [
        {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": [TABLE_ARN, INDEX_ARNS]},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem"], "Resource": TABLE_ARN},
        {
            "Effect": "Allow",
            "Action": ["dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
            "Resource": TABLE_ARN,
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["READER#*"]}},
        },
    ]


@pytest.mark.parametrize("function", ["HistoryRecorderFunction", "HistoryApiFunction"])
def test_both_history_functions_get_the_table_and_the_retention(
    resources: dict[str, Any], function: str
) -> None:
    assert resources[function]["Properties"]["Environment"]["Variables"] == {
        "HISTORY_TABLE_NAME": {"Ref": TABLE},
        "HISTORY_RETENTION_DAYS": {"Ref": "HistoryRetentionDays"},
    }
