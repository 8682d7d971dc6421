"""Alarms on the generic wing: a shop template (no app profile) whose alarms the local cloud evaluates.

The cloud runs in this process on a clock the test moves by hand, so five-minute periods pass at once. The
shop's rule delivers to an endpoint that refuses connections: FailedInvocations (with the custom bus's
dimensions) and the dead-letter queue's depth put their alarms in ALARM, while an alarm that names only
RuleName is reported at start and never sees data. Re-pointed at AppSync and redriven, both alarms come back
to OK. A function's embedded metric (EMF) drives a custom-metric alarm the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.generic_wing.shop import local_json, shop_config
from tests.support.clock import ManualClock
from tests.support.local_cloud import free_ports
from tests.support.templates import ORDERS_BUS, SAM_TRANSFORM, template
from vcn.cloudwatch import ALARM, OK
from vcn.local.cloud import RunningCloud, running_cloud

RULE_DIMENSION = '{Name: RuleName, Value: !Select [2, !Split ["/", !GetAtt OrderShippedRule.Arn]]}'
BUS_DIMENSION = "{Name: EventBusName, Value: !Ref OrdersBus}"


def failed_invocations_alarm(name: str, *dimensions: str) -> str:
    """In ALARM while the metric with `dimensions` counts a failed delivery in the last five minutes."""
    return f"""
    {name}:
      Type: AWS::CloudWatch::Alarm
      Properties:
        Namespace: AWS/Events
        MetricName: FailedInvocations
        Dimensions: [{", ".join(dimensions)}]
        Statistic: Sum
        Period: 300
        EvaluationPeriods: 1
        Threshold: 0
        ComparisonOperator: GreaterThanThreshold
        TreatMissingData: notBreaching
    """


TEMPLATE = template(
    SAM_TRANSFORM,
    ORDERS_BUS,
    """
    EventsApi:
      Type: AWS::AppSync::Api
      Properties:
        Name: shop-events
        EventConfig:
          AuthProviders: [{AuthType: API_KEY}]
          ConnectionAuthModes: [{AuthType: API_KEY}]
          DefaultPublishAuthModes: [{AuthType: API_KEY}]
          DefaultSubscribeAuthModes: [{AuthType: API_KEY}]
    EventsApiKey:
      Type: AWS::AppSync::ApiKey
      Properties: {ApiId: !GetAtt EventsApi.ApiId}
    OrdersNamespace:
      Type: AWS::AppSync::ChannelNamespace
      Properties: {ApiId: !GetAtt EventsApi.ApiId, Name: orders}
    PublishConnection:
      Type: AWS::Events::Connection
      Properties:
        AuthorizationType: API_KEY
        AuthParameters:
          ApiKeyAuthParameters: {ApiKeyName: x-api-key, ApiKeyValue: !GetAtt EventsApiKey.ApiKey}
    PublishDestination:
      Type: AWS::Events::ApiDestination
      Properties:
        ConnectionArn: !GetAtt PublishConnection.Arn
        InvocationEndpoint: !Sub "https://${EventsApi.Dns.Http}/event"
        HttpMethod: POST
    UnreachableDestination:
      Type: AWS::Events::ApiDestination
      Properties:
        ConnectionArn: !GetAtt PublishConnection.Arn
        InvocationEndpoint: http://127.0.0.1:UNREACHABLE_PORT/event
        HttpMethod: POST
    ShippedDlq:
      Type: AWS::SQS::Queue
    OrderShippedRule:
      Type: AWS::Events::Rule
      Properties:
        EventBusName: !Ref OrdersBus
        EventPattern: {source: [shop.orders], detail-type: [OrderShipped]}
        Targets:
          - Id: RegionChannel
            Arn: !GetAtt UnreachableDestination.Arn
            RetryPolicy: {MaximumRetryAttempts: 0}
            DeadLetterConfig: {Arn: !GetAtt ShippedDlq.Arn}
            InputTransformer:
              InputPathsMap: {region: $.detail.region, orderId: $.detail.orderId}
              InputTemplate: >-
                {"channel": "/orders/<region>", "events": ["{\\"orderId\\":\\"<orderId>\\"}"]}
    PackerFunction:
      Type: AWS::Serverless::Function
      Properties:
        CodeUri: packer/
        Handler: app.handler
        Runtime: python3.13
        Events:
          Packed:
            Type: EventBridgeRule
            Properties:
              EventBusName: !Ref OrdersBus
              Pattern: {source: [shop.packing]}
    """,
    failed_invocations_alarm("ShippedFailing", BUS_DIMENSION, RULE_DIMENSION),
    # the metric is emitted with the bus's name too: this alarm never sees a failure
    failed_invocations_alarm("ShippedFailingByRuleOnly", RULE_DIMENSION),
    """
    ShippedDlqNotEmpty:
      Type: AWS::CloudWatch::Alarm
      Properties:
        Namespace: AWS/SQS
        MetricName: ApproximateNumberOfMessagesVisible
        Dimensions: [{Name: QueueName, Value: !GetAtt ShippedDlq.QueueName}]
        Statistic: Maximum
        Period: 60
        EvaluationPeriods: 1
        Threshold: 0
        ComparisonOperator: GreaterThanThreshold
        TreatMissingData: notBreaching
    TooManyBoxes:
      Type: AWS::CloudWatch::Alarm
      Properties:
        Namespace: Shop
        MetricName: BoxesPacked
        Dimensions: [{Name: service, Value: packing}]
        Statistic: Sum
        Period: 60
        EvaluationPeriods: 1
        Threshold: 10
        ComparisonOperator: GreaterThanThreshold
    """,
)

PACKER = """
import json
import time


def handler(event, context):
    print(json.dumps({
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
            {"Namespace": "Shop", "Dimensions": [["service"]], "Metrics": [{"Name": "BoxesPacked"}]}
        ]},
        "service": "packing",
        "BoxesPacked": event["detail"]["boxes"],
    }))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    unreachable = free_ports(1)[0]  # bound and closed again: nothing listens there
    (tmp_path / "template.yaml").write_text(TEMPLATE.replace("UNREACHABLE_PORT", str(unreachable)))
    (tmp_path / "packer").mkdir()
    (tmp_path / "packer" / "app.py").write_text(textwrap.dedent(PACKER))
    return tmp_path / "template.yaml"


def states(cloud: RunningCloud) -> dict[str, str]:
    return {status.config.name: status.state for status in cloud.cloudwatch.monitor.alarms}


async def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def put(cloud: RunningCloud, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    reply = await cloud.eventbridge.service.call(
        "PutEvents",
        {
            "Entries": [
                {
                    "EventBusName": "orders",
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                }
            ]
        },
    )
    assert reply["FailedEntryCount"] == 0, reply


def test_failed_deliveries_raise_the_alarms_and_a_redrive_brings_them_back(
    project: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    config = shop_config(project, tmp_path, clock)

    async def scenario() -> None:
        async with running_cloud(config) as cloud:
            service = cloud.eventbridge.service
            alarms_url = cloud.eventbridge.url + "/_vcn/alarms"
            assert local_json(config)["queues"] == ["ShippedDlq"]  # what `vcn dlq --queue` may name
            assert states(cloud) == {
                "ShippedFailing": OK,
                "ShippedFailingByRuleOnly": OK,
                "ShippedDlqNotEmpty": OK,
                "TooManyBoxes": "INSUFFICIENT_DATA",  # TreatMissingData missing, and no box packed yet
            }

            await put(cloud, "shop.orders", "OrderShipped", {"region": "eu", "orderId": "o-1"})
            await eventually(lambda: service.dead_letters.visible_count("ShippedDlq") == 1)
            clock.advance(60)
            cloud.cloudwatch.tick()
            assert states(cloud) == {
                "ShippedFailing": ALARM,
                "ShippedFailingByRuleOnly": OK,  # names RuleName alone: it never sees the failure
                "ShippedDlqNotEmpty": ALARM,
                "TooManyBoxes": "INSUFFICIENT_DATA",
            }
            described = (await asyncio.to_thread(requests.get, alarms_url, timeout=10)).json()
            reasons = {alarm["AlarmName"]: alarm["StateReason"] for alarm in described["MetricAlarms"]}
            assert reasons["ShippedFailing"].startswith("Threshold Crossed: 1 datapoint [1.0 (")
            assert reasons["ShippedDlqNotEmpty"].startswith("Threshold Crossed: 1 datapoint [1.0 (")
            [warning] = described["Warnings"]
            assert warning.startswith(
                "alarm ShippedFailingByRuleOnly watches AWS/Events FailedInvocations with "
                "{RuleName=OrderShippedRule}, which matches no metric the local cloud emits"
            )

            # Recovery: the rule's target points at AppSync again, and the dead letter is redriven.
            targets = await service.call(
                "ListTargetsByRule", {"Rule": "OrderShippedRule", "EventBusName": "orders"}
            )
            good = (await service.call("DescribeApiDestination", {"Name": "PublishDestination"}))[
                "ApiDestinationArn"
            ]
            fixed = [{**target, "Arn": good} for target in targets["Targets"]]
            await service.call(
                "PutTargets", {"Rule": "OrderShippedRule", "EventBusName": "orders", "Targets": fixed}
            )
            report = await service.redrive()
            assert len(report.redriven) == 1 and not report.failed
            clock.advance(60)
            cloud.cloudwatch.tick()
            assert states(cloud)["ShippedDlqNotEmpty"] == OK
            assert states(cloud)["ShippedFailing"] == ALARM  # the failure is still in its evaluation range
            clock.advance(15 * 60)
            cloud.cloudwatch.tick()
            assert states(cloud)["ShippedFailing"] == OK

            view = (
                await asyncio.to_thread(
                    requests.get, cloud.eventbridge.url + "/_vcn/cloudwatch/metrics", timeout=10
                )
            ).json()
            failed = [metric for metric in view["Metrics"] if metric["MetricName"] == "FailedInvocations"]
            assert failed == [
                {
                    **failed[0],
                    "Namespace": "AWS/Events",
                    "Dimensions": [
                        {"Name": "EventBusName", "Value": "orders"},
                        {"Name": "RuleName", "Value": "OrderShippedRule"},
                    ],
                    "Sum": 1.0,
                }
            ]

    with caplog.at_level(logging.INFO, logger="vcn"):
        asyncio.run(scenario())
    lines = [record.getMessage() for record in caplog.records if record.name == "vcn.cloudwatch"]
    assert any(line.startswith("alarm ShippedFailingByRuleOnly watches") for line in lines)
    assert "alarm ShippedFailing: OK -> ALARM: Threshold Crossed: 1 datapoint [1.0 (" in "\n".join(lines)
    assert any(
        line.startswith("alarm ShippedDlqNotEmpty: ALARM -> OK: Threshold Crossed: 1 datapoint [0.0")
        for line in lines
    )


def test_a_functions_embedded_metric_drives_a_custom_metric_alarm(project: Path, tmp_path: Path) -> None:
    clock = ManualClock()
    config = shop_config(project, tmp_path, clock)

    async def scenario() -> None:
        async with running_cloud(config) as cloud:
            assert states(cloud)["TooManyBoxes"] == "INSUFFICIENT_DATA"  # TreatMissingData: missing
            await put(cloud, "shop.packing", "Packed", {"boxes": 7})
            await put(cloud, "shop.packing", "Packed", {"boxes": 5})
            await eventually(lambda: cloud.runtime.invocation_counts()["PackerFunction"].invocations == 2)
            await eventually(lambda: cloud.cloudwatch.embedded.captured == 2)
            clock.advance(60)
            cloud.cloudwatch.tick()
            status = cloud.cloudwatch.monitor.status("TooManyBoxes")
            assert status.state == ALARM, status.reason
            assert "[12.0 (" in status.reason
            cloud.cloudwatch.tick()
            lambda_metrics = {
                (metric["MetricName"], metric["Dimensions"][0]["Value"]): metric["Sum"]
                for metric in cloud.cloudwatch.metric_totals()
                if metric["Namespace"] == "AWS/Lambda"
            }
            assert lambda_metrics[("Invocations", "PackerFunction")] == 2
            assert lambda_metrics[("Errors", "PackerFunction")] == 0

    asyncio.run(scenario())
