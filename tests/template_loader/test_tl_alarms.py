"""`AWS::CloudWatch::Alarm` -> `AlarmConfig`: metric, statistic, period, evaluation, threshold, missing data,
metric math; a malformed alarm is an error naming the resource, one the local cloud cannot evaluate says
why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.templates import ORDERS_BUS, resource, template, write_template
from vcn.cloudwatch import MetricKey
from vcn.template import LocalStack, TemplateError, load_stack

PROJECT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

HEAD = """
Parameters:
  TopicArn: {Type: String, Default: ""}
Conditions:
  HasTopic: !Not [!Equals [!Ref TopicArn, ""]]
"""
WATCHED = """
ShippedRule:
  Type: AWS::Events::Rule
  Properties:
    EventBusName: !Ref OrdersBus
    EventPattern: {source: [shop.orders]}
ShippedDlq:
  Type: AWS::SQS::Queue
"""


def stack_of(tmp_path: Path, *resources: str, **alarms: str) -> LocalStack:
    """The stack of the orders bus, a rule on it and a queue, with `resources` (YAML) and an alarm for each of
    `alarms`: its logical id, and its Properties (YAML)."""
    alarm_resources = [
        resource(name, "AWS::CloudWatch::Alarm", properties) for name, properties in alarms.items()
    ]
    return load_stack(
        write_template(tmp_path, template(HEAD, ORDERS_BUS, WATCHED, *resources, *alarm_resources))
    )


def test_a_single_metric_alarm_with_resolved_dimensions(tmp_path: Path) -> None:
    stack = stack_of(
        tmp_path,
        ShippedFailing="""
            AlarmDescription: Shipped orders did not reach the console.
            Namespace: AWS/Events
            MetricName: FailedInvocations
            Dimensions:
              - {Name: EventBusName, Value: !Ref OrdersBus}
              - {Name: RuleName, Value: !Select [2, !Split ["/", !GetAtt ShippedRule.Arn]]}
            Statistic: Sum
            Period: 300
            EvaluationPeriods: 3
            DatapointsToAlarm: 2
            Threshold: "0"
            ComparisonOperator: GreaterThanThreshold
            TreatMissingData: notBreaching
            AlarmActions: !If [HasTopic, [!Ref TopicArn], !Ref AWS::NoValue]
        """,
    )
    [alarm] = stack.alarms
    assert alarm.name == "ShippedFailing" and alarm.logical_id == "ShippedFailing"
    [stat] = alarm.metric_stats
    assert stat.metric == MetricKey.of(
        "AWS/Events", "FailedInvocations", {"EventBusName": "orders", "RuleName": "ShippedRule"}
    )
    assert (stat.period, stat.stat) == (300, "Sum")
    assert (alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.threshold) == (3, 2, 0.0)
    assert (alarm.comparison, alarm.treat_missing_data) == ("GreaterThanThreshold", "notBreaching")
    assert alarm.alarm_actions == () and alarm.not_evaluated_because() is None
    assert "AWS::CloudWatch::Alarm" not in {item.resource_type for item in stack.unsupported}


def test_alarm_name_extended_statistic_and_default_missing_data(tmp_path: Path) -> None:
    [alarm] = stack_of(
        tmp_path,
        Slow="""
            AlarmName: orders-slow
            Namespace: AWS/Events
            MetricName: IngestionToInvocationStartLatency
            Dimensions: [{Name: RuleName, Value: x}]
            ExtendedStatistic: p99
            Period: 60
            EvaluationPeriods: 5
            Threshold: 1000
            ComparisonOperator: GreaterThanOrEqualToThreshold
        """,
    ).alarms
    assert alarm.name == "orders-slow"
    assert alarm.metric_stats[0].stat == "p99"
    assert alarm.treat_missing_data == "missing" and alarm.required_datapoints == 5


def test_a_metric_math_alarm(tmp_path: Path) -> None:
    [alarm] = stack_of(
        tmp_path,
        ErrorRate="""
            EvaluationPeriods: 1
            Threshold: 5
            ComparisonOperator: GreaterThanThreshold
            Metrics:
              - Id: errors
                ReturnData: false
                MetricStat:
                  Metric:
                    Namespace: AWS/Lambda
                    MetricName: Errors
                    Dimensions: [{Name: FunctionName, Value: f}]
                  Period: 60
                  Stat: Sum
              - Id: calls
                ReturnData: false
                MetricStat:
                  Metric:
                    Namespace: AWS/Lambda
                    MetricName: Invocations
                    Dimensions: [{Name: FunctionName, Value: f}]
                  Period: 60
                  Stat: Sum
              - Id: rate
                Expression: 100 * errors / calls
                Label: Error rate
        """,
    ).alarms
    assert not alarm.single_metric
    assert [query.id for query in alarm.queries] == ["errors", "calls", "rate"]
    assert alarm.returned.expression == "100 * errors / calls" and alarm.period == 60
    assert alarm.not_evaluated_because() is None


def test_alarms_the_local_cloud_cannot_evaluate_are_kept_and_say_why(tmp_path: Path) -> None:
    band, search = stack_of(
        tmp_path,
        Band="""
            EvaluationPeriods: 1
            ComparisonOperator: LessThanLowerOrGreaterThanUpperThreshold
            ThresholdMetricId: band
            Metrics:
              - Id: m1
                ReturnData: true
                MetricStat:
                  Metric: {Namespace: AWS/SQS, MetricName: NumberOfMessagesSent}
                  Period: 60
                  Stat: Sum
              - Id: band
                Expression: ANOMALY_DETECTION_BAND(m1, 2)
                ReturnData: false
        """,
        Search="""
            EvaluationPeriods: 1
            Threshold: 1
            ComparisonOperator: GreaterThanThreshold
            Metrics:
              - Id: m1
                ReturnData: false
                MetricStat:
                  Metric: {Namespace: AWS/SQS, MetricName: NumberOfMessagesSent}
                  Period: 60
                  Stat: Sum
              - Id: total
                Expression: METRICS()
        """,
    ).alarms
    assert (
        band.not_evaluated_because()
        == "anomaly detection thresholds (ThresholdMetricId) are not emulated locally"
    )
    assert "function METRICS is not evaluated locally" in (search.not_evaluated_because() or "")


ALARM_BASE = """
Namespace: AWS/SQS
MetricName: ApproximateNumberOfMessagesVisible
Dimensions: [{Name: QueueName, Value: !GetAtt ShippedDlq.QueueName}]
EvaluationPeriods: 1
ComparisonOperator: GreaterThanThreshold
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("Statistic: Maximum\nPeriod: 60", "resource Broken: Threshold is required"),
        ("Statistic: Maximum\nThreshold: 0", "resource Broken: an alarm on one metric needs Period"),
        ("Period: 60\nThreshold: 0", "exactly one of Statistic and ExtendedStatistic"),
        (
            "Statistic: Maximum\nPeriod: 45\nThreshold: 0",
            "Period of m1 must be 10, 20, 30 or a multiple of 60",
        ),
        ("Statistic: Maximum\nPeriod: 60\nThreshold: 0\nDatapointsToAlarm: 2", "DatapointsToAlarm must be"),
        ("Statistic: Maximum\nPeriod: 60\nThreshold: lots", "property Threshold: Threshold must be a number"),
        ("Statistic: Maximum\nPeriod: 60\nThreshold: 0\nTreatMissingData: zero", "TreatMissingData must be"),
    ],
)
def test_a_malformed_alarm_is_an_error_naming_it(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        stack_of(tmp_path, Broken=ALARM_BASE + extra)


def test_an_alarm_whose_condition_is_false_is_not_created(tmp_path: Path) -> None:
    stack = stack_of(
        tmp_path,
        """
        OnlyWithTopic:
          Type: AWS::CloudWatch::Alarm
          Condition: HasTopic
          Properties: {}
        """,
    )
    assert stack.alarms == []


@pytest.mark.skipif(not PROJECT_TEMPLATE.exists(), reason="no template.yaml")
def test_the_project_template_alarms_watch_its_queues_and_rules() -> None:
    stack = load_stack(
        PROJECT_TEMPLATE,
        parameter_overrides={
            "TokenIssuer": "http://127.0.0.1:4000",
            "TokenAudience": "vcn-local",
            "JwksUrl": "http://127.0.0.1:4000/.well-known/jwks.json",
        },
    )
    watched = {alarm.name: alarm.metric_stats[0].metric for alarm in stack.alarms if alarm.single_metric}
    queues = {
        metric.dimensions
        for metric in watched.values()
        if (metric.namespace, metric.name) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    }
    assert {
        (("QueueName", queue),) for queue in ("NotificationDeadLetterQueue", "ValidationDeadLetterQueue")
    } <= queues
    rules = {
        dict(metric.dimensions)["RuleName"]
        for metric in watched.values()
        if (metric.namespace, metric.name) == ("AWS/Events", "FailedInvocations")
    }
    assert {"ConfigurationValidatedRule", "SupplyConstraintRule"} <= rules
    assert all(alarm.not_evaluated_because() is None for alarm in stack.alarms)
