"""An alarm watches a queue (or a count of failures) only when the first failure makes it notify someone: a
metric the resource emits, a threshold one crosses and none does not, actions enabled, and actions when the
template's other alarms have them. The shop's dead-letter queue alarm, seeded wrong, no longer counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.check.conftest import SHOP_TEMPLATE, Change, check, failure, resources, seeded_copy
from tests.check.shop_profile import shop_profile
from vcn.check.runner import CheckReport

QUEUE_ALARM = "UndeliveredQueueAlarm"
RULE_ALARM = "OrderShippedFailuresAlarm"
UNWATCHED = "no alarm watches dead-letter queue UndeliveredQueue: what lands there goes unnoticed"
TOPIC = "arn:aws:sns:us-east-1:000000000000:ops"


def alarm(document: dict[str, Any], name: str = QUEUE_ALARM) -> dict[str, Any]:
    properties: dict[str, Any] = resources(document)[name]["Properties"]
    return properties


def setting(name: str = QUEUE_ALARM, **values: Any) -> Change:
    return lambda document: alarm(document, name).update(values)


def seeded(tmp_path: Path, *changes: Change) -> CheckReport:
    def apply(document: dict[str, Any]) -> None:
        for change in changes:
            change(document)

    return check(seeded_copy(SHOP_TEMPLATE, tmp_path / "shop", apply), shop_profile())


def unwatched(report: CheckReport) -> bool:
    return any(f.problem == UNWATCHED for f in report.results.failures("targets"))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param(
            setting(ComparisonOperator="LessThanThreshold"),
            "one message in the queue (a value of 1) is not less than 0",
            id="less-than",
        ),
        pytest.param(
            setting(Threshold=100000),
            "one message in the queue (a value of 1) is not greater than 100000",
            id="threshold",
        ),
        pytest.param(
            setting(ComparisonOperator="GreaterThanOrEqualToThreshold"),
            "with no message in the queue (a value of 0) it is already greater than or equal to 0",
            id="always-in-alarm",
        ),
        pytest.param(
            setting(ActionsEnabled=False),
            "its ActionsEnabled is false: it changes state and notifies nobody",
            id="actions-disabled",
        ),
        pytest.param(
            setting(RULE_ALARM, AlarmActions=[TOPIC]),
            "it has no AlarmActions, unlike the template's other alarms: it notifies nobody",
            id="no-actions",
        ),
    ],
)
def test_a_dead_letter_queue_alarm_that_would_not_tell_of_one_message_does_not_watch_it(
    tmp_path: Path, change: Change, why: str
) -> None:
    report = seeded(tmp_path, change)
    found = failure(report, "alarms", QUEUE_ALARM)
    assert found.problem.startswith("does not tell of the first message in the queue (AWS/SQS ")
    assert why in found.problem
    assert unwatched(report)


def test_a_misspelt_queue_metric_does_not_watch_the_queue(tmp_path: Path) -> None:
    report = seeded(tmp_path, setting(MetricName="ApproximateNumberOfMessagesVisble"))
    assert unwatched(report)
    assert any("ApproximateNumberOfMessagesVisble" in note.text for note in report.results.notes)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            setting(ComparisonOperator="GreaterThanOrEqualToThreshold", Threshold=1), id="at-least-1"
        ),
        pytest.param(
            lambda document: (
                [
                    alarm(document, name).update(
                        AlarmActions={"Fn::If": ["HasTopic", [TOPIC], {"Ref": "AWS::NoValue"}]}
                    )
                    for name in (QUEUE_ALARM, RULE_ALARM)
                ]
                + [document.update(Conditions={"HasTopic": {"Fn::Equals": ["a", "b"]}})]
            ),
            id="conditional-actions",
        ),
        pytest.param(
            lambda document: [
                alarm(document, name).update(AlarmActions=[TOPIC]) for name in (QUEUE_ALARM, RULE_ALARM)
            ],
            id="actions-on-all",
        ),
    ],
)
def test_an_alarm_that_fires_on_one_message_watches_the_queue(tmp_path: Path, change: Change) -> None:
    report = seeded(tmp_path, change)
    assert report.passed, report.results.findings


def test_a_failed_invocations_alarm_that_cannot_fire_on_one_fails(tmp_path: Path) -> None:
    report = seeded(tmp_path, setting(RULE_ALARM, ComparisonOperator="LessThanThreshold"))
    found = failure(report, "alarms", RULE_ALARM)
    assert "does not tell of the first failed invocation" in found.problem
    assert "(a value of 1) is not less than 0" in found.problem


def test_a_failed_invocations_alarm_needing_two_breaching_periods_misses_one_failure(tmp_path: Path) -> None:
    report = seeded(tmp_path, setting(RULE_ALARM, EvaluationPeriods=2, DatapointsToAlarm=2))
    found = failure(report, "alarms", RULE_ALARM)
    assert "needs 2 breaching ones" in found.problem
