"""Alarm evaluation as CloudWatch documents it: M out of N, the evaluation range, TreatMissingData, the
comparison operators, metric math, and the reasons in CloudWatch's words."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from vcn.cloudwatch import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    AlarmConfig,
    MetricKey,
    MetricQuery,
    MetricStat,
    MetricStore,
)
from vcn.cloudwatch.evaluation import AlarmEvaluator, PeriodValue

KEY = MetricKey.of("Shop", "Failures", {"Service": "orders"})
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
RETAIN = "retain"


def alarm(**changes: Any) -> AlarmConfig:
    config = AlarmConfig(
        name="OrdersFailing",
        queries=(MetricQuery("m1", MetricStat(KEY, 60, "Sum")),),
        evaluation_periods=3,
        datapoints_to_alarm=3,
        threshold=1.0,
        comparison="GreaterThanThreshold",
    )
    config = replace(config, **changes)
    config.check()
    return config


def periods(text: str) -> list[PeriodValue]:
    """`"0 - X - X"`, oldest first as AWS's table writes it ('X' breaches, '0' does not, '-' is missing),
    as the evaluation range: newest first."""
    marks = text.split()
    values = []
    for age, mark in enumerate(reversed(marks)):
        value = {"X": 5.0, "0": 0.0, "-": None}[mark]
        values.append(PeriodValue(NOW - (age + 1) * 60, value))
    return values


# AWS's documented table for 3 evaluation periods and 3 datapoints to alarm (evaluation range of 5).
TABLE = [
    ("0 - X - X", OK, OK, OK, OK),
    ("- - - - 0", OK, OK, OK, OK),
    ("- - - - -", INSUFFICIENT_DATA, RETAIN, ALARM, OK),
    ("0 X X - X", ALARM, ALARM, ALARM, ALARM),
    ("- - X - -", ALARM, RETAIN, ALARM, OK),
]


@pytest.mark.parametrize(("points", "missing", "ignore", "breaching", "not_breaching"), TABLE)
@pytest.mark.parametrize("current", [OK, ALARM])
def test_missing_data_is_treated_as_in_aws_documented_table(
    points: str, missing: str, ignore: str, breaching: str, not_breaching: str, current: str
) -> None:
    for treatment, expected in zip(
        ("missing", "ignore", "breaching", "notBreaching"),
        (missing, ignore, breaching, not_breaching),
        strict=True,
    ):
        evaluator = AlarmEvaluator(alarm(treat_missing_data=treatment))
        assert evaluator.range_periods == len(points.split())  # the range the table shows: N + 2
        decision = evaluator.decide(periods(points), current, NOW)
        assert decision.state == (None if expected == RETAIN else expected), (
            points,
            treatment,
            decision.reason,
        )


def test_m_out_of_n_needs_m_breaching_datapoints() -> None:
    evaluator = AlarmEvaluator(alarm(evaluation_periods=3, datapoints_to_alarm=2))
    assert evaluator.decide(periods("0 0 0 X 0"), OK, NOW).state == OK
    decision = evaluator.decide(periods("0 0 X 0 X"), OK, NOW)
    assert decision.state == ALARM
    assert decision.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (31/12/25 23:59:00), "
        "5.0 (31/12/25 23:57:00)] were greater than the threshold (1.0) "
        "(minimum 2 datapoints for OK -> ALARM transition)."
    )


def test_reasons_for_one_datapoint_read_like_cloudwatch() -> None:
    evaluator = AlarmEvaluator(alarm(evaluation_periods=1, datapoints_to_alarm=None, threshold=0.0))
    assert evaluator.decide(periods("X"), OK, NOW).reason == (
        "Threshold Crossed: 1 datapoint [5.0 (31/12/25 23:59:00)] was greater than the threshold (0.0)."
    )
    assert evaluator.decide(periods("0"), ALARM, NOW).reason == (
        "Threshold Crossed: 1 datapoint [0.0 (31/12/25 23:59:00)] was not greater than the threshold (0.0)."
    )


def test_reasons_when_nothing_arrived() -> None:
    missing = AlarmEvaluator(alarm(evaluation_periods=1, datapoints_to_alarm=None))
    assert missing.decide(periods("- - -"), OK, NOW).reason == "Insufficient Data: 1 datapoint was unknown."
    quiet = AlarmEvaluator(
        alarm(evaluation_periods=1, datapoints_to_alarm=None, treat_missing_data="notBreaching")
    )
    assert quiet.decide(periods("- - -"), ALARM, NOW).reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[NonBreaching]."
    )


def test_filled_datapoints_are_named_in_the_reason() -> None:
    evaluator = AlarmEvaluator(alarm(treat_missing_data="breaching"))
    decision = evaluator.decide(periods("- - X - -"), OK, NOW)
    assert decision.state == ALARM
    assert "and 2 missing datapoints were treated as [Breaching]" in decision.reason


@pytest.mark.parametrize(
    ("comparison", "breaching_values"),
    [
        ("GreaterThanThreshold", [6.0]),
        ("GreaterThanOrEqualToThreshold", [5.0, 6.0]),
        ("LessThanThreshold", [4.0]),
        ("LessThanOrEqualToThreshold", [4.0, 5.0]),
    ],
)
def test_each_comparison_operator(comparison: str, breaching_values: list[float]) -> None:
    evaluator = AlarmEvaluator(
        alarm(comparison=comparison, threshold=5.0, evaluation_periods=1, datapoints_to_alarm=None)
    )
    for value in (4.0, 5.0, 6.0):
        decision = evaluator.decide([PeriodValue(NOW - 60, value)], OK, NOW)
        assert decision.state == (ALARM if value in breaching_values else OK), (comparison, value)


def test_periods_end_at_the_evaluation_instant_and_include_it() -> None:
    store = MetricStore()
    evaluator = AlarmEvaluator(alarm(evaluation_periods=1, datapoints_to_alarm=None))
    store.put_value(KEY, NOW, 2)  # collected at the very instant of the evaluation
    store.put_value(KEY, NOW - 60, 7)  # exactly one period earlier: the previous period's
    values = evaluator.period_values(store, NOW)
    assert [point.value for point in values] == [2.0, 7.0, None]
    assert values[0].sample_count == 1


def test_the_statistic_summarises_each_period() -> None:
    store = MetricStore()
    for at, value in ((NOW - 50, 1), (NOW - 30, 4), (NOW - 10, 2)):
        store.put_value(KEY, at, value)
    maximum = AlarmEvaluator(alarm(queries=(MetricQuery("m1", MetricStat(KEY, 60, "Maximum")),)))
    total = AlarmEvaluator(alarm())
    assert maximum.period_values(store, NOW)[0].value == 4
    assert total.period_values(store, NOW)[0].value == 7


def test_metric_math_alarm_compares_the_returned_expression() -> None:
    errors = MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "f"})
    calls = MetricKey.of("AWS/Lambda", "Invocations", {"FunctionName": "f"})
    config = alarm(
        single_metric=False,
        queries=(
            MetricQuery("errors", MetricStat(errors, 60, "Sum"), return_data=False),
            MetricQuery("calls", MetricStat(calls, 60, "Sum"), return_data=False),
            MetricQuery("rate", expression="100 * errors / calls"),
        ),
        threshold=10.0,
        evaluation_periods=1,
        datapoints_to_alarm=None,
    )
    assert config.not_evaluated_because() is None
    store = MetricStore()
    store.put_value(calls, NOW - 5, 20)
    store.put_value(errors, NOW - 5, 3)
    evaluator = AlarmEvaluator(config)
    [latest, *_] = evaluator.period_values(store, NOW)
    assert latest.value == pytest.approx(15.0)
    assert evaluator.decide(evaluator.period_values(store, NOW), OK, NOW).state == ALARM


def test_reason_data_lists_the_evaluated_datapoints() -> None:
    evaluator = AlarmEvaluator(alarm(evaluation_periods=1, datapoints_to_alarm=None))
    data = evaluator.decide([PeriodValue(NOW - 60, 5.0, 5.0)], OK, NOW).reason_data
    assert data["statistic"] == "Sum" and data["period"] == 60 and data["threshold"] == 1.0
    assert data["evaluatedDatapoints"] == [
        {"timestamp": "2025-12-31T23:59:00.000+0000", "sampleCount": 5.0, "value": 5.0}
    ]
