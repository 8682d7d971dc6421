"""The local CloudWatch's alarms over time: start INSUFFICIENT_DATA, evaluate every minute of cloud time, log
each state change on one line, and answer like DescribeAlarms."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from tests.support.clock import ManualClock
from vcn.clock import ScaledClock
from vcn.cloudwatch import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    AlarmConfig,
    CatalogEntry,
    InvalidAlarm,
    LocalCloudWatch,
    MetricKey,
    MetricQuery,
    MetricStat,
    Tally,
)
from vcn.cloudwatch.collector import Reading

FAILED = MetricKey.of("AWS/Events", "FailedInvocations", {"EventBusName": "orders", "RuleName": "shipped"})


class RuleCounters:
    def __init__(self) -> None:
        self.failed = 0

    def read(self) -> Iterator[Reading]:
        yield Tally(FAILED, self.failed, self.failed)

    def catalog(self) -> Iterator[CatalogEntry]:
        yield CatalogEntry(FAILED)


def failed_alarm(**changes: object) -> AlarmConfig:
    fields: dict[str, object] = {
        "name": "ShippedFailing",
        "queries": (MetricQuery("m1", MetricStat(FAILED, 300, "Sum")),),
        "evaluation_periods": 1,
        "threshold": 0.0,
        "comparison": "GreaterThanThreshold",
        "treat_missing_data": "notBreaching",
        **changes,
    }
    return AlarmConfig(**fields)  # type: ignore[arg-type]


def cloudwatch(*alarms: AlarmConfig) -> tuple[LocalCloudWatch, ManualClock, RuleCounters]:
    clock = ManualClock()
    service = LocalCloudWatch(alarms or [failed_alarm()], clock=clock)
    counters = RuleCounters()
    service.add_source(counters)
    return service, clock, counters


def test_an_alarm_goes_to_alarm_on_failures_and_back_to_ok_once_they_age_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service, clock, counters = cloudwatch()
    status = service.monitor.status("ShippedFailing")
    assert (status.state, status.reason) == (INSUFFICIENT_DATA, "Unchecked: Initial alarm creation")
    with caplog.at_level(logging.INFO, logger="vcn.cloudwatch"):
        service.tick()
        assert status.state == OK
        counters.failed = 3
        clock.advance(60)
        [change] = service.tick()
        assert (change.old, change.new) == (OK, ALARM)
        assert status.reason.startswith("Threshold Crossed: 1 datapoint [3.0 (")
        assert status.reason.endswith(")] was greater than the threshold (0.0).")
        # The failure stays in the evaluation range (3 periods of 5 minutes) and keeps the alarm up ...
        clock.advance(14 * 60)
        assert service.tick() == [] and status.state == ALARM
        # ... until it ages out of it.
        clock.advance(60)
        [change] = service.tick()
        assert (change.old, change.new) == (ALARM, OK)
    lines = [record.getMessage() for record in caplog.records if record.name == "vcn.cloudwatch"]
    assert lines[1].startswith("alarm ShippedFailing: OK -> ALARM: Threshold Crossed: 1 datapoint [3.0")
    assert lines[2] == (
        "alarm ShippedFailing: ALARM -> OK: Threshold Crossed: no datapoints were received for 1 period "
        "and 1 missing datapoint was treated as [NonBreaching]."
    )
    assert [r.levelname for r in caplog.records if r.name == "vcn.cloudwatch"] == ["INFO", "WARNING", "INFO"]


def test_alarms_are_evaluated_once_a_minute_of_cloud_time() -> None:
    service, clock, counters = cloudwatch()
    service.tick()
    counters.failed = 1
    clock.advance(30)
    assert service.tick() == []  # collected, but the next evaluation is due a minute after the last
    clock.advance(30)
    assert [change.new for change in service.tick()] == [ALARM]


def test_high_resolution_periods_are_evaluated_every_ten_seconds() -> None:
    service, clock, counters = cloudwatch(
        failed_alarm(queries=(MetricQuery("m1", MetricStat(FAILED, 10, "Sum")),))
    )
    service.tick()
    counters.failed = 1
    clock.advance(10)
    assert [change.new for change in service.tick()] == [ALARM]


def test_describe_alarms_has_cloudwatchs_shape() -> None:
    service, _, counters = cloudwatch(
        failed_alarm(description="Orders not shipped", alarm_actions=("arn:sns",))
    )
    counters.failed = 2
    service.tick()
    [described] = service.describe_alarms()["MetricAlarms"]
    assert described["AlarmName"] == "ShippedFailing"
    assert described["StateValue"] == ALARM
    assert described["AlarmActions"] == ["arn:sns"] and described["AlarmDescription"] == "Orders not shipped"
    assert described["Namespace"] == "AWS/Events" and described["MetricName"] == "FailedInvocations"
    assert described["Dimensions"] == [
        {"Name": "EventBusName", "Value": "orders"},
        {"Name": "RuleName", "Value": "shipped"},
    ]
    assert (described["Statistic"], described["Period"], described["Threshold"]) == ("Sum", 300, 0.0)
    assert json.loads(described["StateReasonData"])["evaluatedDatapoints"][0]["value"] == 2.0
    assert described["StateUpdatedTimestamp"] == "2026-01-01T00:00:00.000+0000"


def test_an_alarm_the_local_cloud_cannot_evaluate_says_why_and_stays_insufficient_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    band = failed_alarm(name="Band", comparison="LessThanLowerOrGreaterThanUpperThreshold")
    service, _, counters = cloudwatch(band)
    with caplog.at_level(logging.WARNING, logger="vcn.cloudwatch"):
        warnings = service.check_alarms()
    assert warnings == [
        "alarm Band is not evaluated locally: anomaly detection (LessThanLowerOrGreaterThanUpperThreshold) "
        "is not emulated locally"
    ]
    counters.failed = 5
    service.tick()
    status = service.monitor.status("Band")
    assert status.state == INSUFFICIENT_DATA and status.reason.startswith("Not evaluated locally: anomaly")


def test_alarm_actions_are_said_to_stay_local_once(caplog: pytest.LogCaptureFixture) -> None:
    service, _, _ = cloudwatch(
        failed_alarm(name="A", alarm_actions=("arn:sns:a",)),
        failed_alarm(name="B", ok_actions=("arn:sns:b",)),
    )
    with caplog.at_level(logging.INFO, logger="vcn.cloudwatch"):
        service.check_alarms()
        LocalCloudWatch([], clock=ManualClock()).check_alarms()  # no alarms: nothing to say
    notices = [r.getMessage() for r in caplog.records if "not delivered locally" in r.getMessage()]
    assert notices == [
        "alarm actions (SNS topics and the like) are not delivered locally: a state change is logged here "
        "and shown by `vcn alarms`"
    ]


def test_the_cloudwatch_view_totals_each_metric_since_start() -> None:
    service, clock, counters = cloudwatch()
    counters.failed = 2
    service.tick()
    clock.advance(10)
    counters.failed = 5
    service.tick()
    [metric] = service.metric_totals()
    assert (
        metric["MetricName"] == "FailedInvocations" and metric["Sum"] == 5.0 and metric["SampleCount"] == 5.0
    )
    assert metric["Latest"] == {"Timestamp": "2026-01-01T00:00:10.000+0000", "Sum": 3.0}


def test_ticks_follow_the_clock_within_bounds() -> None:
    assert LocalCloudWatch([], clock=ScaledClock(1)).tick_seconds == 1.0
    assert LocalCloudWatch([], clock=ScaledClock(60)).tick_seconds == pytest.approx(10 / 60)
    assert LocalCloudWatch([], clock=ScaledClock(100_000)).tick_seconds == 0.05


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"evaluation_periods": 0}, "EvaluationPeriods must be at least 1"),
        ({"evaluation_periods": 2, "datapoints_to_alarm": 3}, "DatapointsToAlarm must be between 1 and"),
        ({"treat_missing_data": "zero"}, "TreatMissingData must be one of missing, notBreaching"),
        ({"comparison": "Above"}, "ComparisonOperator must be one of"),
        (
            {"queries": (MetricQuery("m1", MetricStat(FAILED, 45, "Sum")),)},
            "must be 10, 20, 30 or a multiple of 60",
        ),
        ({"queries": ()}, "needs MetricName and Namespace, or Metrics"),
        (
            {"evaluation_periods": 2017, "queries": (MetricQuery("m1", MetricStat(FAILED, 300, "Sum")),)},
            "7 days",
        ),
    ],
)
def test_alarms_breaking_cloudwatchs_rules_are_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidAlarm, match=problem):
        failed_alarm(**changes).check()


def test_metric_math_needs_exactly_one_returned_query() -> None:
    stat = MetricStat(FAILED, 60, "Sum")
    both = failed_alarm(
        single_metric=False, queries=(MetricQuery("a", stat), MetricQuery("b", expression="a * 2"))
    )
    with pytest.raises(
        InvalidAlarm, match=r"exactly one Metrics entry must have ReturnData true \(found 2: a, b\)"
    ):
        both.check()
