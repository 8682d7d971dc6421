"""Connections (states, list, update, delete, deauthorize) and API destinations (list, update, delete) through
boto3, with deliveries to a local HTTP sink showing what each change does to the requests sent."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws_errors import error_of
from tests.support.eventbridge import (
    Cloud,
    Reply,
    events_client,
    put_event,
    rule_to,
)

ACCOUNT = "000000000000"
DLQ_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:connection-dlq"
API_KEY = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "first-key"}}


@pytest.fixture
def events(cloud: Cloud) -> Any:
    return events_client(cloud.url)


def oauth(cloud: Cloud, path: str = "/token") -> dict[str, Any]:
    return {
        "OAuthParameters": {
            "ClientParameters": {"ClientID": "client", "ClientSecret": "client-secret"},
            "AuthorizationEndpoint": cloud.sink.url + path,
            "HttpMethod": "POST",
        }
    }


def destination_to_sink(events: Any, cloud: Cloud, connection_arn: str, name: str = "sink") -> str:
    return str(
        events.create_api_destination(
            Name=name,
            ConnectionArn=connection_arn,
            InvocationEndpoint=cloud.sink.url + "/in",
            HttpMethod="POST",
        )["ApiDestinationArn"]
    )


def state_of(events: Any, name: str) -> str:
    return str(events.describe_connection(Name=name)["ConnectionState"])


def eventually_in_state(events: Any, name: str, state: str, timeout: float = 10.0) -> None:
    """Poll DescribeConnection from the test's thread (the server runs on its own loop)."""
    deadline = time.monotonic() + timeout
    while state_of(events, name) != state:
        assert time.monotonic() < deadline, f"connection {name} never became {state}"
        time.sleep(0.02)


def test_an_api_key_connection_is_authorized_at_once(events: Any) -> None:
    created = events.create_connection(Name="keyed", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name="keyed")
    assert described["ConnectionState"] == "AUTHORIZED"
    assert described["LastAuthorizedTime"] == described["CreationTime"]


def test_an_oauth_connection_starts_authorizing_and_is_authorized_by_its_token(
    cloud: Cloud, events: Any
) -> None:
    cloud.sink.routes["/token"] = lambda _: Reply(
        200, body=json.dumps({"access_token": "tok", "expires_in": 60})
    )
    created = events.create_connection(
        Name="oauth", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=oauth(cloud)
    )
    assert created["ConnectionState"] == "AUTHORIZING"
    assert "LastAuthorizedTime" not in created
    eventually_in_state(events, "oauth", "AUTHORIZED")
    assert "LastAuthorizedTime" in events.describe_connection(Name="oauth")
    # The token is fetched without waiting for a delivery, and a delivery then reuses it.
    assert cloud.service.http.authorizer.token_requests == 1
    rule_to(cloud, {"Id": "sink", "Arn": destination_to_sink(events, cloud, created["ConnectionArn"])})
    put_event(cloud)
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.headers["Authorization"] == "Bearer tok"
    assert cloud.service.http.authorizer.token_requests == 1


def test_a_refused_oauth_connection_is_deauthorized_with_the_reason(cloud: Cloud, events: Any) -> None:
    cloud.sink.routes["/denied"] = lambda _: Reply(401, body="bad client")
    events.create_connection(
        Name="denied", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=oauth(cloud, "/denied")
    )
    eventually_in_state(events, "denied", "DEAUTHORIZED")
    assert "answered 401" in events.describe_connection(Name="denied")["StateReason"]
    cloud.sink.routes["/token"] = lambda _: Reply(200, body=json.dumps({"access_token": "tok"}))
    fixed = {"OAuthParameters": {"AuthorizationEndpoint": cloud.sink.url + "/token"}}
    assert events.update_connection(Name="denied", AuthParameters=fixed)["ConnectionState"] == "AUTHORIZING"
    eventually_in_state(events, "denied", "AUTHORIZED")
    assert "StateReason" not in events.describe_connection(Name="denied")


def test_list_connections_filters_by_prefix_and_state(events: Any) -> None:
    events.create_connection(Name="list-a", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    events.create_connection(Name="list-b", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    events.create_connection(Name="other", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    events.deauthorize_connection(Name="list-b")
    listed = events.list_connections(NamePrefix="list-")["Connections"]
    assert [c["Name"] for c in listed] == ["list-a", "list-b"]
    assert set(listed[0]) == {
        "ConnectionArn",
        "Name",
        "ConnectionState",
        "AuthorizationType",
        "CreationTime",
        "LastModifiedTime",
        "LastAuthorizedTime",
    }
    deauthorized = events.list_connections(ConnectionState="DEAUTHORIZED")["Connections"]
    assert [c["Name"] for c in deauthorized] == ["list-b"]
    first = events.list_connections(Limit=2)
    rest = events.list_connections(Limit=2, NextToken=first["NextToken"])
    assert [c["Name"] for c in first["Connections"] + rest["Connections"]] == ["list-a", "list-b", "other"]


def test_update_connection_changes_the_credentials_deliveries_use(cloud: Cloud, events: Any) -> None:
    arn = events.create_connection(Name="rotated", AuthorizationType="API_KEY", AuthParameters=API_KEY)[
        "ConnectionArn"
    ]
    rule_to(cloud, {"Id": "sink", "Arn": destination_to_sink(events, cloud, arn)})
    updated = events.update_connection(
        Name="rotated",
        Description="rotated key",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyValue": "second-key"}},
    )
    assert updated["ConnectionArn"] == arn and updated["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name="rotated")
    assert described["Description"] == "rotated key"
    assert described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    put_event(cloud)
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.headers["x-api-key"] == "second-key"


def test_changing_the_authorization_type_needs_complete_parameters(events: Any) -> None:
    events.create_connection(Name="switched", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    with pytest.raises(ClientError) as raised:
        events.update_connection(
            Name="switched",
            AuthorizationType="BASIC",
            AuthParameters={"BasicAuthParameters": {"Username": "user"}},
        )
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value null at 'authParameters.basicAuthParameters.password' failed to "
        "satisfy constraint: Member must not be null",
    )
    assert events.describe_connection(Name="switched")["AuthorizationType"] == "API_KEY"
    events.update_connection(
        Name="switched",
        AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "user", "Password": "pw"}},
    )
    described = events.describe_connection(Name="switched")
    assert described["AuthorizationType"] == "BASIC"
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "user"}}


def test_parameters_of_another_authorization_type_are_refused(events: Any) -> None:
    basic = {"BasicAuthParameters": {"Username": "user", "Password": "pw"}}
    with pytest.raises(ClientError) as raised:
        events.create_connection(
            Name="mixed", AuthorizationType="API_KEY", AuthParameters={**API_KEY, **basic}
        )
    assert error_of(raised) == (
        "ValidationException",
        "AuthParameters.BasicAuthParameters cannot be used with AuthorizationType API_KEY; give "
        "AuthParameters.ApiKeyAuthParameters, or change AuthorizationType too.",
    )
    events.create_connection(Name="mixed", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    with pytest.raises(ClientError) as raised:
        events.update_connection(Name="mixed", AuthParameters=basic)
    assert error_of(raised)[0] == "ValidationException"
    assert events.describe_connection(Name="mixed")["AuthorizationType"] == "API_KEY"


def test_delete_connection_answers_deleting_and_then_it_is_gone(events: Any) -> None:
    arn = events.create_connection(Name="doomed", AuthorizationType="API_KEY", AuthParameters=API_KEY)[
        "ConnectionArn"
    ]
    deleted = events.delete_connection(Name="doomed")
    assert deleted["ConnectionState"] == "DELETING" and deleted["ConnectionArn"] == arn
    with pytest.raises(ClientError) as raised:
        events.describe_connection(Name="doomed")
    assert error_of(raised) == (
        "ResourceNotFoundException",
        "Failed to describe the connection(s). Connection 'doomed' does not exist.",
    )
    assert "doomed" not in [c["Name"] for c in events.list_connections()["Connections"]]
    with pytest.raises(ClientError) as raised:
        events.delete_connection(Name="doomed")
    assert error_of(raised)[0] == "ResourceNotFoundException"


def test_a_deauthorized_connection_sends_nothing_until_it_gets_new_credentials(
    cloud: Cloud, events: Any
) -> None:
    arn = events.create_connection(Name="paused", AuthorizationType="API_KEY", AuthParameters=API_KEY)[
        "ConnectionArn"
    ]
    destination = destination_to_sink(events, cloud, arn)
    rule_to(cloud, {"Id": "sink", "Arn": destination, "DeadLetterConfig": {"Arn": DLQ_ARN}})
    assert events.deauthorize_connection(Name="paused")["ConnectionState"] == "DEAUTHORIZING"
    described = events.describe_connection(Name="paused")
    assert described["ConnectionState"] == "DEAUTHORIZED"
    assert described["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}}
    stored = json.dumps(cloud.service.resources.snapshot())
    assert "first-key" not in stored
    event_id = put_event(cloud)
    cloud.wait_until(lambda: len(cloud.service.dead_letters.list("connection-dlq")) == 1)
    [message] = cloud.service.dead_letters.list("connection-dlq")
    assert json.loads(message.body)["id"] == event_id
    assert "deauthorized" in message.attributes["ERROR_MESSAGE"]
    assert cloud.sink.received == []
    events.update_connection(
        Name="paused", AuthParameters={"ApiKeyAuthParameters": {"ApiKeyValue": "fresh-key"}}
    )
    assert state_of(events, "paused") == "AUTHORIZED"
    put_event(cloud)
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.headers["x-api-key"] == "fresh-key"


def test_api_destinations_are_listed_updated_and_deleted(cloud: Cloud, events: Any) -> None:
    first = events.create_connection(Name="first", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    second = events.create_connection(Name="second", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    a = destination_to_sink(events, cloud, first["ConnectionArn"], "dest-a")
    destination_to_sink(events, cloud, second["ConnectionArn"], "dest-b")
    listed = events.list_api_destinations(ConnectionArn=first["ConnectionArn"])["ApiDestinations"]
    assert [d["Name"] for d in listed] == ["dest-a"]
    assert listed[0]["ApiDestinationArn"] == a and listed[0]["ApiDestinationState"] == "ACTIVE"
    assert [d["Name"] for d in events.list_api_destinations(NamePrefix="dest-")["ApiDestinations"]] == [
        "dest-a",
        "dest-b",
    ]
    updated = events.update_api_destination(
        Name="dest-a",
        InvocationEndpoint=cloud.sink.url + "/moved",
        InvocationRateLimitPerSecond=7,
        ConnectionArn=second["ConnectionArn"],
    )
    assert updated["ApiDestinationArn"] == a and updated["ApiDestinationState"] == "ACTIVE"
    described = events.describe_api_destination(Name="dest-a")
    assert described["InvocationEndpoint"] == cloud.sink.url + "/moved"
    assert described["InvocationRateLimitPerSecond"] == 7
    assert described["ConnectionArn"] == second["ConnectionArn"]
    assert described["HttpMethod"] == "POST"
    rule_to(cloud, {"Id": "sink", "Arn": a})
    put_event(cloud)
    [request] = cloud.loop.run(cloud.sink.wait_for(1))
    assert request.path == "/moved"
    events.remove_targets(Rule="r1", Ids=["sink"])
    assert events.delete_api_destination(Name="dest-a")["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as raised:
        events.describe_api_destination(Name="dest-a")
    assert error_of(raised) == (
        "ResourceNotFoundException",
        "Failed to describe the api-destination(s). An api-destination 'dest-a' does not exist.",
    )


def test_update_api_destination_checks_everything_before_changing_anything(cloud: Cloud, events: Any) -> None:
    connection = events.create_connection(Name="kept", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    destination_to_sink(events, cloud, connection["ConnectionArn"], "kept-dest")
    missing = f"arn:aws:events:us-east-1:{ACCOUNT}:connection/missing/0f0e0d0c-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as raised:
        events.update_api_destination(Name="kept-dest", InvocationRateLimitPerSecond=3, ConnectionArn=missing)
    assert error_of(raised)[0] == "ResourceNotFoundException"
    described = events.describe_api_destination(Name="kept-dest")
    assert described["InvocationRateLimitPerSecond"] == 300
    assert described["ConnectionArn"] == connection["ConnectionArn"]
