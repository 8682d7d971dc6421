"""The local DynamoDB speaks DynamoDB's JSON protocol: boto3 runs unchanged against it."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.boto_clients import local_client
from tests.support.dynamodb_process import DynamoDbProcess

KEYS = [{"AttributeName": "topic", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDbProcess]:
    running = DynamoDbProcess(tmp_path_factory.mktemp("ddb") / "state")
    assert running.ready.get("ready"), running.log()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def notes(service: DynamoDbProcess) -> Any:
    client = service.client()
    client.create_table(
        TableName="Notes",
        KeySchema=KEYS,
        AttributeDefinitions=[
            {"AttributeName": "topic", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "S"},
            {"AttributeName": "author", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byAuthor",
                "KeySchema": [
                    {"AttributeName": "author", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    with _batch(client) as put:
        for index in range(30):
            put(
                {
                    "topic": {"S": "a" if index % 2 == 0 else "b"},
                    "at": {"S": f"2026-01-01T00:00:{index:02d}Z"},
                    "author": {"S": "ann" if index % 3 == 0 else "bob"},
                    "n": {"N": str(index)},
                }
            )
    return client


class _batch:
    """BatchWriteItem in chunks of 25, the way the AWS CLI and boto3's batch writer send items."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.items: list[dict[str, Any]] = []

    def __enter__(self) -> Any:
        return self.items.append

    def __exit__(self, *_: object) -> None:
        for start in range(0, len(self.items), 25):
            requests_ = [{"PutRequest": {"Item": item}} for item in self.items[start : start + 25]]
            reply = self.client.batch_write_item(RequestItems={"Notes": requests_})
            assert not reply["UnprocessedItems"]


def numbers(items: list[dict[str, Any]]) -> list[int]:
    return [int(item["n"]["N"]) for item in items]


def test_query_returns_a_partition_in_key_order_page_by_page(notes: Any) -> None:
    pages: list[list[int]] = []
    start: dict[str, Any] | None = None
    while True:
        extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        reply = notes.query(
            TableName="Notes",
            KeyConditionExpression="topic = :t AND #at > :after",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues={":t": {"S": "a"}, ":after": {"S": "2026-01-01T00:00:05Z"}},
            Limit=4,
            **extra,
        )
        pages.append(numbers(reply["Items"]))
        start = reply.get("LastEvaluatedKey")
        if not start:
            break
    assert pages == [[6, 8, 10, 12], [14, 16, 18, 20], [22, 24, 26, 28]]


def test_query_backwards_and_with_begins_with(notes: Any) -> None:
    reply = notes.query(
        TableName="Notes",
        KeyConditionExpression="topic = :t AND begins_with(#at, :prefix)",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":t": {"S": "b"}, ":prefix": {"S": "2026-01-01T00:00:1"}},
        ScanIndexForward=False,
    )
    assert numbers(reply["Items"]) == [19, 17, 15, 13, 11]


def test_a_global_secondary_index_is_queried_by_its_own_keys(notes: Any) -> None:
    reply = notes.query(
        TableName="Notes",
        IndexName="byAuthor",
        KeyConditionExpression="author = :a",
        ExpressionAttributeValues={":a": {"S": "ann"}},
    )
    assert numbers(reply["Items"]) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]


def test_conditional_writes_are_refused_with_dynamodbs_error(notes: Any) -> None:
    item = {"topic": {"S": "a"}, "at": {"S": "2026-01-01T00:00:00Z"}, "author": {"S": "x"}, "n": {"N": "-1"}}
    with pytest.raises(ClientError) as refused:
        notes.put_item(TableName="Notes", Item=item, ConditionExpression="attribute_not_exists(topic)")
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    key = {"topic": {"S": "a"}, "at": {"S": "2026-01-01T00:00:00Z"}}
    assert notes.get_item(TableName="Notes", Key=key)["Item"]["n"] == {"N": "0"}


def test_update_and_transactions(notes: Any) -> None:
    key = {"topic": {"S": "c"}, "at": {"S": "x"}}
    notes.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "Notes", "Item": {**key, "author": {"S": "cy"}, "n": {"N": "1"}}}},
        ]
    )
    reply = notes.update_item(
        TableName="Notes",
        Key=key,
        UpdateExpression="ADD n :one SET readBy = list_append(if_not_exists(readBy, :empty), :me)",
        ExpressionAttributeValues={":one": {"N": "1"}, ":empty": {"L": []}, ":me": {"L": [{"S": "dee"}]}},
        ReturnValues="ALL_NEW",
    )
    assert reply["Attributes"]["n"] == {"N": "2"}
    assert reply["Attributes"]["readBy"] == {"L": [{"S": "dee"}]}


def test_binary_values_round_trip(notes: Any) -> None:
    key = {"topic": {"S": "bin"}, "at": {"S": "1"}}
    notes.put_item(TableName="Notes", Item={**key, "blob": {"B": b"\x00\xffdata"}})
    assert notes.get_item(TableName="Notes", Key=key)["Item"]["blob"] == {"B": b"\x00\xffdata"}


def test_tables_belong_to_the_local_account_and_to_the_region_signed_for(
    notes: Any, service: DynamoDbProcess
) -> None:
    arn = notes.describe_table(TableName="Notes")["Table"]["TableArn"]
    assert arn == "arn:aws:dynamodb:us-east-1:000000000000:table/Notes"
    assert "Notes" not in service.client("eu-west-1").list_tables()["TableNames"]


def test_another_services_call_is_refused_loudly(service: DynamoDbProcess) -> None:
    sqs = local_client("sqs", service.url)
    with pytest.raises(ClientError) as refused:
        sqs.list_queues()
    assert refused.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "is not a DynamoDB operation" in refused.value.response["Error"]["Message"]


def test_a_health_check_is_answered_like_dynamodb(service: DynamoDbProcess) -> None:
    response = requests.get(service.url + "/", timeout=10)
    assert response.status_code == 200 and response.text.startswith("healthy: dynamodb.us-east-1")


def test_a_second_service_on_the_same_port_says_the_port_is_in_use(
    service: DynamoDbProcess, tmp_path: Path
) -> None:
    other = DynamoDbProcess(tmp_path / "other", port=service.port)
    assert other.ready == {
        "ready": False,
        "error": "port_in_use",
        "message": f"port {service.port} is in use",
    }
    assert other.process.wait(timeout=30) == 2


def test_a_request_moto_cannot_handle_fails_at_once_as_a_client_error(notes: Any) -> None:
    # moto 5's PartiQL parser takes only quoted values in SET; DynamoDB accepts `true`. Answered 400 (not
    # moto's 500), so the SDK does not retry it ten times.
    with pytest.raises(ClientError) as refused:
        notes.execute_statement(Statement="UPDATE \"Notes\" SET seen = true WHERE topic = 'a' AND at = 'x'")
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    assert error["Error"]["Code"] == "ValidationException"
    assert (
        "the local DynamoDB (moto) cannot handle this ExecuteStatement request" in error["Error"]["Message"]
    )


def _raw_post(
    connection: http.client.HTTPConnection, body: bytes, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    connection.request(
        "POST",
        "/",
        body=body,
        headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
        | headers,
    )
    response = connection.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_requests_share_one_connection_as_they_do_with_dynamodb(service: DynamoDbProcess) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    try:
        for _ in range(3):
            status, headers, body = _raw_post(connection, b"{}")
            assert status == 200 and "TableNames" in json.loads(body)
            assert headers.get("connection", "").lower() != "close"
        local = connection.sock.getsockname()  # still the first connection: it was never closed
        status, _, _ = _raw_post(connection, b"{}")
        assert status == 200 and connection.sock.getsockname() == local
    finally:
        connection.close()


def test_a_body_without_a_length_is_refused_and_the_connection_closed(service: DynamoDbProcess) -> None:
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as raw:
        raw.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
        )
        reply = b""
        while chunk := raw.recv(65536):  # the server closes: recv returns b"" at the end
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 411 ")
    assert json.loads(body)["message"] == "send the request body with a Content-Length"
    # and the service goes on serving
    assert service.client().list_tables()["TableNames"] is not None


def test_a_malformed_length_is_a_client_error(service: DynamoDbProcess) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    try:
        connection.putrequest("POST", "/")
        connection.putheader("X-Amz-Target", "DynamoDB_20120810.ListTables")
        connection.putheader("Content-Length", "twelve")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400
        assert "Content-Length" in json.loads(response.read())["message"]
    finally:
        connection.close()


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b"\xff\xfe", b""], ids=["broken", "array", "bytes", "empty"]
)
def test_a_body_that_is_not_a_json_object_is_a_serialization_error(
    service: DynamoDbProcess, body: bytes
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    try:
        status, _, reply = _raw_post(connection, body, **{"X-Amz-Target": "DynamoDB_20120810.PutItem"})
    finally:
        connection.close()
    assert status == 400
    assert json.loads(reply) == {
        "__type": "com.amazonaws.dynamodb.v20120810#SerializationException",
        "message": "the request body is not a JSON object",
    }
