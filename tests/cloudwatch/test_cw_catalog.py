"""The start-up check names alarms whose metric matches nothing the local cloud can emit, and what would."""

from __future__ import annotations

from vcn.cloudwatch import AlarmConfig, CatalogEntry, MetricKey, MetricQuery, MetricStat
from vcn.cloudwatch.catalog import unmatched_alarm_metrics

CUSTOM_BUS_NOTE = "rule shipped is on custom bus orders, which reports EventBusName and RuleName together"
CATALOG = [
    CatalogEntry(
        MetricKey.of("AWS/Events", name, {"EventBusName": "orders", "RuleName": "shipped"}), CUSTOM_BUS_NOTE
    )
    for name in ("FailedInvocations", "Invocations")
] + [CatalogEntry(MetricKey.of("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "dlq"}))]


def alarm(namespace: str, name: str, dimensions: dict[str, str]) -> AlarmConfig:
    metric = MetricStat(MetricKey.of(namespace, name, dimensions), 300, "Sum")
    return AlarmConfig(
        name="ShippedFailing",
        queries=(MetricQuery("m1", metric),),
        evaluation_periods=1,
        threshold=0,
        comparison="GreaterThanThreshold",
    )


def test_an_alarm_naming_only_the_rule_of_a_custom_bus_rule_is_reported_with_the_fix() -> None:
    [warning] = unmatched_alarm_metrics(
        [alarm("AWS/Events", "FailedInvocations", {"RuleName": "shipped"})], CATALOG
    )
    assert warning == (
        "alarm ShippedFailing watches AWS/Events FailedInvocations with {RuleName=shipped}, which matches no "
        "metric the local cloud emits, so it never sees data: a metric matches only with its exact dimension "
        "set, in AWS too; what would match: AWS/Events FailedInvocations with "
        "{EventBusName=orders, RuleName=shipped} (" + CUSTOM_BUS_NOTE + ")"
    )


def test_an_alarm_with_the_full_dimension_set_is_not_reported() -> None:
    matching = alarm("AWS/Events", "FailedInvocations", {"EventBusName": "orders", "RuleName": "shipped"})
    assert unmatched_alarm_metrics([matching], CATALOG) == []


def test_a_misspelt_metric_name_lists_the_names_of_the_namespace() -> None:
    [warning] = unmatched_alarm_metrics([alarm("AWS/Events", "FailedInvocation", {"RuleName": "x"})], CATALOG)
    assert warning.endswith(
        "the local cloud emits no FailedInvocation in AWS/Events (it emits FailedInvocations, Invocations)"
    )


def test_an_aws_namespace_the_local_cloud_does_not_emulate_is_reported() -> None:
    [warning] = unmatched_alarm_metrics([alarm("AWS/ApiGateway", "5XXError", {"ApiId": "a"})], CATALOG)
    assert warning.endswith("the local cloud emits nothing in namespace AWS/ApiGateway")


def test_custom_namespaces_are_filled_by_functions_at_run_time_and_not_reported() -> None:
    assert unmatched_alarm_metrics([alarm("Shop", "KeysExpiring", {"service": "orders"})], CATALOG) == []


def test_each_metric_of_a_metric_math_alarm_is_checked() -> None:
    rule_only = MetricStat(MetricKey.of("AWS/Events", "Invocations", {"RuleName": "shipped"}), 300, "Sum")
    queue = MetricStat(
        MetricKey.of("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "dlq"}), 300, "Sum"
    )
    math = AlarmConfig(
        name="Ratio",
        queries=(
            MetricQuery("calls", rule_only, return_data=False),
            MetricQuery("depth", queue, return_data=False),
            MetricQuery("ratio", expression="depth / calls"),
        ),
        evaluation_periods=1,
        threshold=0,
        comparison="GreaterThanThreshold",
        single_metric=False,
    )
    [warning] = unmatched_alarm_metrics([math], CATALOG)
    assert warning.startswith(
        "alarm Ratio (Metrics entry calls) watches AWS/Events Invocations with {RuleName=shipped}"
    )
