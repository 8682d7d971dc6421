"""Template loader: DynamoDB tables -> `TableConfig`s; EventInvokeConfigs -> the functions' async settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.templates import SAM_TRANSFORM, resource, template, write_template
from vcn.dynamodb.config import KeyElement, Projection, SecondaryIndex, Throughput
from vcn.template import LocalStack, TemplateError, load_stack

HEAD = f"""
AWSTemplateFormatVersion: "2010-09-09"
{SAM_TRANSFORM}
"""

TABLE = """\
Notes:
  Type: AWS::DynamoDB::Table
  Properties:
    BillingMode: PAY_PER_REQUEST
    KeySchema:
      - {AttributeName: topic, KeyType: HASH}
      - {AttributeName: at, KeyType: RANGE}
    AttributeDefinitions:
      - {AttributeName: topic, AttributeType: S}
      - {AttributeName: at, AttributeType: S}
      - {AttributeName: author, AttributeType: S}
      - {AttributeName: size, AttributeType: N}
    GlobalSecondaryIndexes:
      - IndexName: byAuthor
        KeySchema: [{AttributeName: author, KeyType: HASH}, {AttributeName: at, KeyType: RANGE}]
        Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [title]}
    LocalSecondaryIndexes:
      - IndexName: bySize
        KeySchema: [{AttributeName: topic, KeyType: HASH}, {AttributeName: size, KeyType: RANGE}]
        Projection: {ProjectionType: KEYS_ONLY}
    TimeToLiveSpecification: {AttributeName: expiresAt, Enabled: true}
    PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
    Tags: [{Key: team, Value: notes}]
Writer:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: code
    Handler: app.handler
    Runtime: python3.13
    Environment:
      Variables:
        TABLE: !Ref Notes
        TABLE_ARN: !GetAtt Notes.Arn
"""


def load(tmp_path: Path, *resources: str) -> LocalStack:
    (tmp_path / "code").mkdir(exist_ok=True)
    return load_stack(write_template(tmp_path, template(HEAD, *resources)))


def test_a_table_keeps_its_keys_indexes_ttl_recovery_and_tags(tmp_path: Path) -> None:
    stack = load(tmp_path, TABLE)
    (table,) = stack.dynamodb_tables
    assert table.name == "Notes"  # no TableName: the logical id, as `Ref` gives it
    assert table.key_schema == (KeyElement("topic", "HASH"), KeyElement("at", "RANGE"))
    assert [(d.attribute_name, d.attribute_type) for d in table.attribute_definitions] == [
        ("topic", "S"),
        ("at", "S"),
        ("author", "S"),
        ("size", "N"),
    ]
    assert table.billing_mode == "PAY_PER_REQUEST" and table.throughput is None
    assert table.global_secondary_indexes == (
        SecondaryIndex(
            "byAuthor",
            (KeyElement("author", "HASH"), KeyElement("at", "RANGE")),
            Projection("INCLUDE", ("title",)),
        ),
    )
    assert table.local_secondary_indexes[0].projection == Projection("KEYS_ONLY")
    assert table.ttl_attribute == "expiresAt"
    assert table.point_in_time_recovery is True
    assert table.tags == (("team", "notes"),)
    assert any("point-in-time recovery" in note for note in stack.notes)
    assert "AWS::DynamoDB::Table" not in stack.unsupported_summary()
    environment = stack.function("Writer").environment
    assert environment["TABLE"] == "Notes"
    assert environment["TABLE_ARN"] == "arn:aws:dynamodb:us-east-1:000000000000:table/Notes"


def test_the_create_table_request_is_what_dynamodb_takes(tmp_path: Path) -> None:
    (table,) = load(tmp_path, TABLE).dynamodb_tables
    request = table.create_request()
    assert request["TableName"] == "Notes"
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in request
    assert request["GlobalSecondaryIndexes"][0] == {
        "IndexName": "byAuthor",
        "KeySchema": [
            {"AttributeName": "author", "KeyType": "HASH"},
            {"AttributeName": "at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]},
    }
    assert request["Tags"] == [{"Key": "team", "Value": "notes"}]


def test_a_table_name_property_wins_and_provisioned_tables_keep_their_throughput(tmp_path: Path) -> None:
    stack = load(
        tmp_path,
        """\
        Counters:
          Type: AWS::DynamoDB::Table
          Properties:
            TableName: !Sub "${AWS::StackName}-counters"
            KeySchema: [{AttributeName: id, KeyType: HASH}]
            AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
            ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 2}
        """,
    )
    (table,) = stack.dynamodb_tables
    assert table.name == "vcn-local-counters"
    assert table.billing_mode == "PROVISIONED"  # CloudFormation's default
    assert table.throughput == Throughput(5, 2)
    assert table.ttl_attribute is None and not table.point_in_time_recovery


def test_a_sam_simple_table_becomes_a_table(tmp_path: Path) -> None:
    (table,) = load(tmp_path, "Things:\n  Type: AWS::Serverless::SimpleTable\n").dynamodb_tables
    assert table.name == "Things" and table.key_schema == (KeyElement("id", "HASH"),)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            "KeySchema: [{AttributeName: id, KeyType: RANGE}]\n"
            "AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\nBillingMode: PAY_PER_REQUEST",
            "KeySchema must be one HASH key",
        ),
        (
            "KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
            "AttributeDefinitions: [{AttributeName: id, AttributeType: S},"
            " {AttributeName: x, AttributeType: S}]\n"
            "BillingMode: PAY_PER_REQUEST",
            "AttributeDefinitions must define exactly the key attributes",
        ),
        (
            "KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
            "AttributeDefinitions: [{AttributeName: id, AttributeType: S}]",
            "a PROVISIONED table needs ProvisionedThroughput",
        ),
        (
            "KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
            "AttributeDefinitions: [{AttributeName: id, AttributeType: BOOL}]\nBillingMode: PAY_PER_REQUEST",
            "AttributeType S, N or B",
        ),
        (
            "KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
            "AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\nBillingMode: PAY_PER_REQUEST\n"
            "TimeToLiveSpecification: {Enabled: true}",
            "AttributeName is required when TTL is enabled",
        ),
    ],
)
def test_a_table_dynamodb_would_refuse_is_a_template_error_naming_the_property(
    tmp_path: Path, properties: str, message: str
) -> None:
    with pytest.raises(TemplateError, match=message) as raised:
        load(tmp_path, resource("Broken", "AWS::DynamoDB::Table", properties))
    assert raised.value.resource == "Broken"


def test_two_tables_with_one_name_are_refused(tmp_path: Path) -> None:
    table = """
        TableName: same
        BillingMode: PAY_PER_REQUEST
        KeySchema: [{AttributeName: id, KeyType: HASH}]
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
    """
    with pytest.raises(TemplateError, match="two tables are named 'same'"):
        load(
            tmp_path,
            resource("One", "AWS::DynamoDB::Table", table),
            resource("Two", "AWS::DynamoDB::Table", table),
        )


FUNCTION = """\
Failures:
  Type: AWS::SQS::Queue
Topic:
  Type: AWS::SNS::Topic
Recorder:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: code
    Handler: app.handler
    Runtime: python3.13
    EventInvokeConfig:
      MaximumRetryAttempts: 1
      MaximumEventAgeInSeconds: 120
      DestinationConfig:
        OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}
Other:
  Type: AWS::Serverless::Function
  Properties: {CodeUri: code, Handler: app.handler, Runtime: python3.13}
"""


def test_sam_event_invoke_config_sets_retries_age_and_the_on_failure_queue(tmp_path: Path) -> None:
    stack = load(tmp_path, FUNCTION)
    recorder = stack.function("Recorder").async_invoke
    assert (recorder.maximum_retry_attempts, recorder.maximum_event_age_seconds) == (1, 120)
    assert recorder.on_failure == "arn:aws:sqs:us-east-1:000000000000:Failures"
    other = stack.function("Other").async_invoke
    assert (other.maximum_retry_attempts, other.maximum_event_age_seconds, other.on_failure) == (
        2,
        21600,
        None,
    )
    assert "AWS::Lambda::EventInvokeConfig" not in stack.unsupported_summary()


def test_an_event_invoke_config_resource_with_a_destination_other_than_sqs_is_noted(tmp_path: Path) -> None:
    stack = load(
        tmp_path,
        FUNCTION,
        """
        OtherConfig:
          Type: AWS::Lambda::EventInvokeConfig
          Properties:
            FunctionName: !Ref Other
            Qualifier: $LATEST
            MaximumRetryAttempts: 0
            DestinationConfig:
              OnFailure: {Destination: !Ref Topic}
        """,
    )
    other = stack.function("Other").async_invoke
    assert other.maximum_retry_attempts == 0 and other.on_failure is None
    assert any(
        "OtherConfig: the on-failure destination" in note and "not emulated" in note for note in stack.notes
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("MaximumRetryAttempts: 3", "MaximumRetryAttempts.*3 is outside 0..2"),
        ("MaximumEventAgeInSeconds: 30", "30 is outside 60..21600"),
    ],
)
def test_event_invoke_settings_outside_lambdas_bounds_are_refused(
    tmp_path: Path, settings: str, message: str
) -> None:
    config = f"FunctionName: !Ref Other\nQualifier: $LATEST\n{settings}"
    with pytest.raises(TemplateError, match=message):
        load(tmp_path, FUNCTION, resource("Config", "AWS::Lambda::EventInvokeConfig", config))
