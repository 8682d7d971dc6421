"""CloudWatch alarms of the template (`AWS::CloudWatch::Alarm`) as `AlarmConfig`s.

An alarm is named by its `AlarmName`, or locally by its logical id (CloudFormation would generate
`<stack>-<LogicalId>-<suffix>`). A malformed alarm is an error, as `sam deploy` would fail on it; a valid
alarm the local cloud cannot evaluate (anomaly detection, a value that only exists in AWS) is kept and says
why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vcn.cloudwatch.config import AlarmConfig, InvalidAlarm, MetricQuery, MetricStat
from vcn.cloudwatch.metric import MetricKey

from .errors import Location, TemplateError
from .local_values import LocalResources

TYPE = "AWS::CloudWatch::Alarm"


def _text(value: Any, at: Location, name: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise at.error(f"{name} must be a string, got {value!r}")
    return str(value)


def _number(value: Any, at: Location, name: str) -> float:
    if isinstance(value, bool):
        raise at.error(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise at.error(f"{name} must be a number, got {value!r}") from None


def _integer(value: Any, at: Location, name: str) -> int:
    number = _number(value, at, name)
    if not number.is_integer():
        raise at.error(f"{name} must be a whole number, got {value!r}")
    return int(number)


def _flag(value: Any, at: Location, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise at.error(f"{name} must be true or false, got {value!r}")


def _strings(value: Any, at: Location, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise at.error(f"{name} must be a list of ARNs")
    return tuple(_text(item, at.child(index), name) for index, item in enumerate(value))


def _dimensions(value: Any, at: Location) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise at.error("Dimensions must be a list of {Name, Value}")
    dimensions: dict[str, str] = {}
    for index, item in enumerate(value):
        where = at.child(index)
        if not isinstance(item, dict) or "Name" not in item or "Value" not in item:
            raise where.error("each dimension needs a Name and a Value")
        name = _text(item["Name"], where.child("Name"), "a dimension Name")
        if name in dimensions:
            raise where.error(f"dimension {name} is given twice")
        dimensions[name] = _text(item["Value"], where.child("Value"), "a dimension Value")
    return dimensions


def _metric(value: Any, at: Location) -> MetricKey:
    if not isinstance(value, dict):
        raise at.error("Metric must be an object with Namespace, MetricName and Dimensions")
    for required in ("Namespace", "MetricName"):
        if required not in value:
            raise at.error(f"Metric needs {required}")
    return MetricKey.of(
        _text(value["Namespace"], at.child("Namespace"), "Namespace"),
        _text(value["MetricName"], at.child("MetricName"), "MetricName"),
        _dimensions(value.get("Dimensions"), at.child("Dimensions")),
    )


def _single_metric(props: dict[str, Any], at: Location) -> MetricQuery:
    for required in ("MetricName", "Namespace", "Period"):
        if required not in props:
            raise at.error(f"an alarm on one metric needs {required} (or give Metrics instead)")
    statistic, extended = props.get("Statistic"), props.get("ExtendedStatistic")
    if (statistic is None) == (extended is None):
        raise at.error("an alarm on one metric needs exactly one of Statistic and ExtendedStatistic")
    stat = _text(statistic if statistic is not None else extended, at, "Statistic")
    metric = MetricKey.of(
        _text(props["Namespace"], at.child("Namespace"), "Namespace"),
        _text(props["MetricName"], at.child("MetricName"), "MetricName"),
        _dimensions(props.get("Dimensions"), at.child("Dimensions")),
    )
    period = _integer(props["Period"], at.child("Period"), "Period")
    return MetricQuery("m1", MetricStat(metric, period, stat))


def _queries(value: Any, at: Location) -> tuple[MetricQuery, ...]:
    if not isinstance(value, list) or not value:
        raise at.error("Metrics must be a non-empty list of metric data queries")
    queries = []
    for index, item in enumerate(value):
        where = at.child(index)
        if not isinstance(item, dict) or "Id" not in item:
            raise where.error("each Metrics entry needs an Id")
        stat = None
        if "MetricStat" in item:
            raw = item["MetricStat"]
            here = where.child("MetricStat")
            if not isinstance(raw, dict) or not {"Metric", "Period", "Stat"} <= set(raw):
                raise here.error("MetricStat needs Metric, Period and Stat")
            stat = MetricStat(
                _metric(raw["Metric"], here.child("Metric")),
                _integer(raw["Period"], here.child("Period"), "Period"),
                _text(raw["Stat"], here.child("Stat"), "Stat"),
            )
        expression = item.get("Expression")
        queries.append(
            MetricQuery(
                _text(item["Id"], where.child("Id"), "Id"),
                stat,
                None if expression is None else _text(expression, where.child("Expression"), "Expression"),
                _flag(item.get("ReturnData", True), where.child("ReturnData"), "ReturnData"),
                None if item.get("Label") is None else str(item["Label"]),
            )
        )
    return tuple(queries)


def _alarm(lid: str, props: dict[str, Any], name: str, notes: list[str]) -> AlarmConfig:
    at = Location(lid)
    for required in ("ComparisonOperator", "EvaluationPeriods"):
        if required not in props:
            raise at.error(f"{required} is required")
    if "Metrics" in props and ("MetricName" in props or "Namespace" in props):
        raise at.error("give either MetricName/Namespace or Metrics, not both")
    single = "Metrics" not in props
    queries = (_single_metric(props, at),) if single else _queries(props["Metrics"], at.child("Metrics"))
    unsupported = None
    if "ThresholdMetricId" in props:
        unsupported = "anomaly detection thresholds (ThresholdMetricId) are not emulated locally"
    elif "Threshold" not in props:
        raise at.error("Threshold is required (or ThresholdMetricId for an anomaly detection band)")
    if "Unit" in props or any(
        isinstance(item, dict) and "Unit" in (item.get("MetricStat") or {})
        for item in props.get("Metrics") or []
    ):
        notes.append(f"alarm {name}: Unit is not checked locally (every datapoint of the metric counts)")
    config = AlarmConfig(
        name=name,
        queries=queries,
        evaluation_periods=_integer(
            props["EvaluationPeriods"], at.child("EvaluationPeriods"), "EvaluationPeriods"
        ),
        threshold=_number(props.get("Threshold", 0), at.child("Threshold"), "Threshold"),
        comparison=_text(props["ComparisonOperator"], at.child("ComparisonOperator"), "ComparisonOperator"),
        datapoints_to_alarm=(
            _integer(props["DatapointsToAlarm"], at.child("DatapointsToAlarm"), "DatapointsToAlarm")
            if "DatapointsToAlarm" in props
            else None
        ),
        treat_missing_data=_text(
            props.get("TreatMissingData", "missing"), at.child("TreatMissingData"), "TreatMissingData"
        ),
        description=None if props.get("AlarmDescription") is None else str(props["AlarmDescription"]),
        logical_id=lid,
        single_metric=single,
        actions_enabled=_flag(
            props.get("ActionsEnabled", True), at.child("ActionsEnabled"), "ActionsEnabled"
        ),
        alarm_actions=_strings(props.get("AlarmActions"), at.child("AlarmActions"), "AlarmActions"),
        ok_actions=_strings(props.get("OKActions"), at.child("OKActions"), "OKActions"),
        insufficient_data_actions=_strings(
            props.get("InsufficientDataActions"),
            at.child("InsufficientDataActions"),
            "InsufficientDataActions",
        ),
        unsupported=unsupported,
    )
    try:
        config.check()
    except InvalidAlarm as exc:
        raise at.error(str(exc)) from None
    return config


def extract_alarms(
    resources: LocalResources, by_type: Callable[[str], list[str]], notes: list[str]
) -> list[AlarmConfig]:
    """Every active AWS::CloudWatch::Alarm as an `AlarmConfig`."""
    alarms = []
    for lid in by_type(TYPE):
        name = resources.name(lid, "AlarmName")
        try:
            props = resources.resolved_properties(lid)
        except TemplateError as exc:
            # A value that exists only in AWS (e.g. an attribute of a resource not emulated): keep the alarm.
            alarms.append(_unresolved(lid, name, exc))
            continue
        alarms.append(_alarm(lid, props, name, notes))
    return alarms


def _unresolved(lid: str, name: str, error: TemplateError) -> AlarmConfig:
    return AlarmConfig(
        name=name,
        queries=(),
        evaluation_periods=1,
        threshold=0.0,
        comparison="GreaterThanThreshold",
        logical_id=lid,
        unsupported=f"its properties cannot be resolved locally ({error.problem})",
    )
