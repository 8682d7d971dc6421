"""A real DynamoDB API for tests: moto's server on a loopback port, reached by real boto3 over HTTP.

The history table is created from template.yaml's own `AWS::DynamoDB::Table` definition (keys, indexes,
projections), so the tests hold the adapter to the table the template deploys. Each test gets a table of
its own on the one server.

moto's backend is not thread-safe (a TransactWriteItems copies the table while another request changes it:
"dictionary changed size during iteration"), so the server answers one request at a time, each atomically
as DynamoDB does; connections are still accepted concurrently.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import yaml
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parents[2]
HISTORY_TABLE = "NotificationHistoryTable"
REGION = "us-east-1"
ACCESS_KEY_ID = SECRET_ACCESS_KEY = "test"  # moto accepts any credentials
_names = itertools.count(1)


class _Tolerant(yaml.SafeLoader):
    """Reads template.yaml; intrinsic tags are kept as plain values (the table's keys use none)."""


_Tolerant.add_multi_constructor("!", lambda loader, suffix, node: None)


def template_table(logical_id: str = HISTORY_TABLE) -> dict[str, Any]:
    template = yaml.load((REPO / "template.yaml").read_text(encoding="utf-8"), Loader=_Tolerant)
    resource = template["Resources"][logical_id]
    assert resource["Type"] == "AWS::DynamoDB::Table", logical_id
    return resource["Properties"]


def create_table_request(properties: dict[str, Any], table_name: str) -> dict[str, Any]:
    """CreateTable arguments for the CloudFormation table's keys and indexes."""
    request = {
        "TableName": table_name,
        "BillingMode": properties["BillingMode"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
    }
    if properties.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    return request


def hash_key_table(name: str, key: str = "id") -> dict[str, Any]:
    """CreateTable arguments for an on-demand table keyed by one string attribute, `key`."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


class LocalDynamoDb:
    """One moto server; `client()` is a boto3 client on it, `new_history_table()` a fresh table."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def new_history_table(self) -> str:
        name = f"history-{next(_names)}"
        self.client().create_table(**create_table_request(template_table(), name))
        return name


class _OneRequestAtATime:
    """A WSGI app that runs moto's app under one lock, the response body included."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


class SerialMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@contextmanager
def local_dynamodb() -> Iterator[LocalDynamoDb]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = SerialMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield LocalDynamoDb(f"http://{host}:{port}")
    finally:
        server.stop()
