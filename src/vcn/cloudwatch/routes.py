"""The local CloudWatch's HTTP endpoints, mounted on the local cloud's operator port beside `/_vcn/metrics`:
`GET /_vcn/alarms` (DescribeAlarms' shape, plus the start-up warnings) and `GET /_vcn/cloudwatch/metrics`
(every metric's activity since start)."""

from __future__ import annotations

from aiohttp import web

from vcn.cloudwatch.service import LocalCloudWatch

ALARMS_PATH = "/_vcn/alarms"
METRICS_PATH = "/_vcn/cloudwatch/metrics"


def cloudwatch_routes(cloudwatch: LocalCloudWatch) -> list[web.RouteDef]:
    async def alarms(_: web.Request) -> web.Response:
        return web.json_response(cloudwatch.describe_alarms())

    async def metrics(_: web.Request) -> web.Response:
        return web.json_response({"Metrics": cloudwatch.metric_totals()})

    return [web.get(ALARMS_PATH, alarms), web.get(METRICS_PATH, metrics)]
