"""History end to end inside one test process, for client tests and the recovery bench.

Everything on the path is the real component on loopback:
- the local AppSync Events server, whose `markets`, `users` and `plants` namespaces have the template's
  OnPublish handler: DIRECT, EVENT mode, the real history recorder handler (`handlers.history_recorder`);
- moto's DynamoDB server over HTTP, with the table built from template.yaml;
- the real history API handler (`handlers.history_api`) behind the local HTTP API server and its JWT
  authorizer, with tokens signed by the development identity provider;
- a TCP proxy in front of the realtime endpoint, so a test can cut one subscriber off while publishers and
  the recorder carry on.
The handlers run one request at a time each, as one Lambda environment does (Powertools keeps the current
event on a module-level resolver).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from appsync_events_client import ApiKeyAuth, EventsClient, HttpHistorySource, ReconnectPolicy

from tests.support.dynamodb import LocalDynamoDb
from tests.support.event_api import eventually, run
from tests.support.function_environment import use_function_environment
from tests.support.invokers import CallableInvoker
from tests.support.lambda_functions import FakeLambdaContext
from tests.support.local_cloud import free_ports
from tests.support.tcp_proxy import TcpProxy
from vcn.appsync import config as appsync_config
from vcn.appsync.server import AppSyncEventsServer
from vcn.aws_account import LOCAL_ACCOUNT
from vcn.httpapi import ApiServer, HttpRoute, JwtAuthorizerConfig
from vcn.identity import DevIdentityProvider, load_or_create_signing_key
from vcn.identity.provider import DEFAULT_AUDIENCE

API_KEY = "da2-history-rig-key"
RECORDER = "HistoryRecorderFunction"
HISTORY_API = "HistoryApiFunction"
FAST_RECONNECT = ReconnectPolicy(initial_delay=0.05, max_delay=0.3)
USERS = {
    "analyst-de": {"markets": ["DE"], "plants": ["ZWI"]},
    "analyst-fr": {"markets": ["FR"], "plants": []},
}


def validated_configuration(
    market: str = "DE", model_line: str = "VELA", submitted_by: str = "analyst-de"
) -> dict[str, Any]:
    """A fresh configuration's ConfigurationValidated detail: valid, built at ZWI, normal priority."""
    return {
        "configurationId": f"cfg-{uuid.uuid4().hex[:10]}",
        "market": market,
        "modelLine": model_line,
        "plant": "ZWI",
        "outcome": "VALID",
        "violationCount": 0,
        "warningCount": 0,
        "submittedBy": submitted_by,
        "priority": "NORMAL",
    }


def notification(market: str = "DE", model_line: str = "VELA", **fields: Any) -> dict[str, Any]:
    """A ConfigurationValidated notification as the rules deliver it, with a fresh eventId."""
    return {
        "type": "ConfigurationValidated",
        "eventId": str(uuid.uuid4()),
        "time": "2026-11-30T09:00:00Z",
        **validated_configuration(market, model_line),
        **fields,
    }


def one_at_a_time(handler: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    """A synchronous Lambda handler as an invoker function: in a thread, one invocation at a time."""
    lock = asyncio.Lock()
    context = FakeLambdaContext()

    async def invoke(event: Any) -> Any:
        async with lock:
            return await asyncio.to_thread(handler, event, context)

    return invoke


@dataclass
class HistoryRig:
    appsync: AppSyncEventsServer
    api: ApiServer
    identity: DevIdentityProvider
    proxy: TcpProxy
    recorded: Callable[[str], list[str]]  # the eventIds recorded on a channel, in position order

    def token(self, user: str = "analyst-de") -> str:
        return self.identity.issue_token(user, USERS[user])

    def history(self, user: str = "analyst-de") -> HttpHistorySource:
        return HttpHistorySource(self.api.url, self.token(user))

    def client(self, **options: Any) -> EventsClient:
        """A client whose realtime connection goes through the proxy (publishing goes straight)."""
        options.setdefault("reconnect", FAST_RECONNECT)
        options.setdefault("operation_timeout", 5.0)
        realtime = self.proxy.url_for(self.appsync.realtime_url)
        return EventsClient(self.appsync.http_url, realtime, ApiKeyAuth(API_KEY), **options)

    async def publish(self, channel: str, notifications: Iterable[dict[str, Any]]) -> list[str]:
        """Publish over HTTP, five per request as AppSync allows; the eventIds in order."""
        sent = list(notifications)
        client = self.client()
        async with client:
            for first in range(0, len(sent), 5):
                result = await client.publish_http(channel, sent[first : first + 5])
                assert result.ok, result.failed
        return [n["eventId"] for n in sent]

    async def wait_recorded(self, channel: str, event_ids: Iterable[str], timeout: float = 20.0) -> None:
        """Until every one of `event_ids` is in the table (the recorder runs asynchronously)."""
        wanted = set(event_ids)
        deadline = time.monotonic() + timeout
        while not wanted <= set(await asyncio.to_thread(self.recorded, channel)):
            if time.monotonic() > deadline:
                raise AssertionError(f"not all of {len(wanted)} notifications were recorded on {channel}")
            await asyncio.sleep(0.05)

    async def publish_recorded(self, channel: str, notifications: Iterable[dict[str, Any]]) -> list[str]:
        """Publish as `publish` does, then wait until the history has recorded them all; the eventIds."""
        sent = await self.publish(channel, notifications)
        await self.wait_recorded(channel, sent)
        return sent

    async def publish_while_cut_off(
        self,
        channel: str,
        notifications: Iterable[dict[str, Any]],
        *,
        cut_noticed: Callable[[], bool],
        what: str = "the cut to be noticed",
    ) -> list[str]:
        """Cut the subscriber's realtime connection, publish once `cut_noticed()` holds, wait until the
        history has recorded them all, restore the network; the eventIds published (what the subscriber
        missed)."""
        self.proxy.cut()
        await eventually(cut_noticed, what=what)
        missed = await self.publish_recorded(channel, notifications)
        self.proxy.restore()
        return missed


def event_api_config(issuer: str) -> appsync_config.EventApiConfig:
    """API key (tests, publishers) or the identity provider's tokens (the CLI); the template's recorder."""
    recorder = appsync_config.HandlerConfig("DIRECT", data_source="HistoryRecorder", invoke_type="EVENT")
    tokens = appsync_config.OpenIdConnectConfig(issuer, DEFAULT_AUDIENCE, f"{issuer}/.well-known/jwks.json")
    modes: tuple[appsync_config.AuthType, ...] = ("API_KEY", "OPENID_CONNECT")
    return appsync_config.EventApiConfig(
        name="history-rig",
        api_id="historyrigapi",
        account=LOCAL_ACCOUNT.account_id,
        region=LOCAL_ACCOUNT.region,
        auth_providers=(
            appsync_config.AuthProvider("API_KEY"),
            appsync_config.AuthProvider("OPENID_CONNECT", openid_connect=tokens),
        ),
        connection_auth_modes=modes,
        default_publish_auth_modes=modes,
        default_subscribe_auth_modes=modes,
        namespaces=tuple(
            appsync_config.Namespace(name, on_publish=recorder) for name in ("markets", "users", "plants")
        ),
        api_keys=(appsync_config.ApiKey("RigKey", API_KEY, int(time.time()) + 3600),),
        data_sources=(appsync_config.DataSource("HistoryRecorder", RECORDER),),
    )


@asynccontextmanager
async def history_rig(
    state_dir: Path, dynamodb: LocalDynamoDb, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[HistoryRig]:
    use_function_environment()
    from adapters.dynamodb_history import DynamoDbHistory
    from adapters.dynamodb_read_state import DynamoDbReadState
    from adapters.history_table import HistoryTable
    from handlers import history_api, history_recorder

    table = HistoryTable(dynamodb.new_history_table(), dynamodb.client())
    store, read_state = DynamoDbHistory(table), DynamoDbReadState(table)
    monkeypatch.setattr(history_recorder, "history", lambda: store)
    monkeypatch.setattr(history_api, "history", lambda: store)
    monkeypatch.setattr(history_api, "read_state", lambda: read_state)

    invoker = CallableInvoker(
        {
            RECORDER: one_at_a_time(history_recorder.handler),
            HISTORY_API: one_at_a_time(history_api.handler),
        }
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    # as on the local cloud: the API's URL is the tokens' issuer, and the state folder holds the key
    (api_port,) = free_ports(1)
    issuer = f"http://127.0.0.1:{api_port}"
    identity = DevIdentityProvider(load_or_create_signing_key(state_dir), issuer=issuer)
    authorizer = JwtAuthorizerConfig("AnalystTokens", issuer, (DEFAULT_AUDIENCE,))
    routes = [
        HttpRoute("GET", "/notifications", HISTORY_API, authorizer),
        HttpRoute("POST", "/notifications/read", HISTORY_API, authorizer),
        HttpRoute("GET", "/notifications/unread-count", HISTORY_API, authorizer),
    ]

    async def jwks() -> dict[str, Any]:
        return identity.jwks

    async def serve_jwks(request: web.Request) -> web.Response:
        return web.json_response(identity.jwks)

    api = ApiServer(
        routes,
        invoker,
        account_id=LOCAL_ACCOUNT.account_id,
        extra_routes=[web.get("/.well-known/jwks.json", serve_jwks)],
        jwks_source_for=lambda config: jwks,
    )
    appsync = AppSyncEventsServer(event_api_config(issuer), invoker, state_dir=state_dir)

    def recorded(channel: str) -> list[str]:
        request: dict[str, Any] = {
            "TableName": table.name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"CHANNEL#{channel}"}},
            "ProjectionExpression": "eventId",
        }
        event_ids: list[str] = []
        while True:
            response = table.client.query(**request)
            event_ids += [item["eventId"]["S"] for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return event_ids
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    await api.start(port=api_port)
    await appsync.start(port=0)
    assert appsync.port is not None
    proxy = TcpProxy("127.0.0.1", appsync.port).start()
    try:
        yield HistoryRig(appsync, api, identity, proxy, recorded)
    finally:
        proxy.stop()
        await appsync.stop()
        await api.stop()


def run_in_history_rig(
    state_dir: Path,
    dynamodb: LocalDynamoDb,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Callable[[HistoryRig], Awaitable[None]],
    timeout: float,
) -> None:
    """Run one test's scenario against a history rig started for it; a hang fails after `timeout` seconds."""

    async def main() -> None:
        async with history_rig(state_dir, dynamodb, monkeypatch) as rig:
            await scenario(rig)

    run(main(), timeout=timeout)
