"""The local CloudWatch: metrics the local services emit with AWS's names and dimensions, custom metrics
functions print in Embedded Metric Format, and the template's metric alarms evaluated on the cloud's clock.

`LocalCloudWatch(alarms, clock=...)` is the service; services feed it through `MetricSource`s (the local
cloud's wiring adapts their counters), functions' output through `embedded.capture`. Alarms are
`AlarmConfig`s (the template loader converts `AWS::CloudWatch::Alarm` into them).
"""

from .alarms import AlarmMonitor, AlarmStatus, StateChange
from .collector import CatalogEntry, Gauge, MetricCollector, MetricSource, Samples, Tally
from .config import AlarmConfig, InvalidAlarm, MetricQuery, MetricStat
from .evaluation import ALARM, INSUFFICIENT_DATA, OK
from .metric import Datapoint, MetricKey, StatisticSet
from .routes import cloudwatch_routes
from .service import LocalCloudWatch
from .store import MetricStore

__all__ = [
    "ALARM",
    "INSUFFICIENT_DATA",
    "OK",
    "AlarmConfig",
    "AlarmMonitor",
    "AlarmStatus",
    "CatalogEntry",
    "Datapoint",
    "Gauge",
    "InvalidAlarm",
    "LocalCloudWatch",
    "MetricCollector",
    "MetricKey",
    "MetricQuery",
    "MetricSource",
    "MetricStat",
    "MetricStore",
    "Samples",
    "StateChange",
    "StatisticSet",
    "Tally",
    "cloudwatch_routes",
]
