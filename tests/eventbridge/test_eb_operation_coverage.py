"""Every operation in botocore's EventBridge model answers over the wire: emulated, or refused as
UnsupportedOperation naming it — never UnknownOperationException, which AWS clients read as a typo."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError
from botocore.session import get_session

from tests.support.eventbridge import Cloud, events_client, module_cloud

MODEL = get_session().get_service_model("events")
NOT_EMULATED = {
    name
    for name in MODEL.operation_names
    if any(word in name for word in ("Endpoint", "Partner", "EventSource"))
}


cloud = module_cloud("eb-coverage")


def post(cloud: Cloud, operation: str, body: object) -> requests.Response:
    return requests.post(
        cloud.url + "/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSEvents.{operation}"},
        timeout=10,
    )


def test_the_model_is_the_one_botocore_ships() -> None:
    # Buses, rules, targets, connections, API destinations, archives, replays, tags and permissions.
    assert {"DeleteEventBus", "ListRuleNamesByTarget", "TagResource", "CreateArchive", "StartReplay"} <= set(
        MODEL.operation_names
    )


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_every_model_operation_answers_something_known(cloud: Cloud, operation: str) -> None:
    response = post(cloud, operation, {})
    body = response.json()
    assert response.status_code in (200, 400), body
    assert body.get("__type") != "UnknownOperationException", body
    if body.get("__type") == "UnsupportedOperation":
        assert operation in body["message"]


@pytest.mark.parametrize("operation", sorted(NOT_EMULATED))
def test_endpoints_and_partner_sources_are_refused_by_name_after_validation(
    cloud: Cloud, operation: str
) -> None:
    shape = MODEL.operation_model(operation).input_shape
    if shape is not None and shape.required_members:
        assert post(cloud, operation, {}).json()["__type"] == "ValidationException"
    body = post(cloud, operation, _minimal_request(operation)).json()
    assert body["__type"] == "UnsupportedOperation", body
    assert body["message"].startswith(f"The local EventBridge does not support {operation}: ")


def test_an_operation_that_does_not_exist_is_unknown(cloud: Cloud) -> None:
    body = post(cloud, "PutPermissionToTheMoon", {}).json()
    assert body["__type"] == "UnknownOperationException"
    assert "PutPermissionToTheMoon is not an EventBridge operation" in body["message"]


def test_boto3_reads_unsupported_operation_as_a_client_error(cloud: Cloud) -> None:
    events = events_client(cloud.url)
    with pytest.raises(ClientError) as raised:
        events.list_endpoints()
    assert raised.value.response["Error"]["Code"] == "UnsupportedOperation"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


PARTNER_SOURCE = "aws.partner/example.com/app/source"
ENDPOINT_BUSES = [
    {"EventBusArn": "arn:aws:events:us-east-1:000000000000:event-bus/a"},
    {"EventBusArn": "arn:aws:events:us-west-2:000000000000:event-bus/a"},
]
ROUTING = {
    "FailoverConfig": {
        "Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/abc"},
        "Secondary": {"Route": "us-west-2"},
    }
}
# A request each refused operation accepts as valid.
VALID_REQUESTS: dict[str, dict[str, object]] = {
    "ActivateEventSource": {"Name": PARTNER_SOURCE},
    "CreatePartnerEventSource": {"Name": PARTNER_SOURCE, "Account": "123456789012"},
    "DeactivateEventSource": {"Name": PARTNER_SOURCE},
    "DeletePartnerEventSource": {"Name": PARTNER_SOURCE, "Account": "123456789012"},
    "DescribeEventSource": {"Name": PARTNER_SOURCE},
    "DescribePartnerEventSource": {"Name": PARTNER_SOURCE},
    "ListEventSources": {},
    "ListPartnerEventSourceAccounts": {"EventSourceName": PARTNER_SOURCE},
    "ListPartnerEventSources": {"NamePrefix": "aws.partner/example.com/app"},
    "PutPartnerEvents": {"Entries": [{"Source": PARTNER_SOURCE, "DetailType": "t", "Detail": "{}"}]},
    "CreateEndpoint": {"Name": "ep", "RoutingConfig": ROUTING, "EventBuses": ENDPOINT_BUSES},
    "DeleteEndpoint": {"Name": "ep"},
    "DescribeEndpoint": {"Name": "ep"},
    "ListEndpoints": {},
    "UpdateEndpoint": {"Name": "ep"},
}


def _minimal_request(operation: str) -> dict[str, object]:
    return VALID_REQUESTS[operation]


def test_every_refused_operation_has_a_valid_request_here() -> None:
    assert set(VALID_REQUESTS) == NOT_EMULATED
