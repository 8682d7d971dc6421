"""DIRECT Lambda channel handlers, run through the real Powertools `AppSyncEventsResolver`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aws_lambda_powertools.event_handler import AppSyncEventsResolver
from aws_lambda_powertools.event_handler.events_appsync.exceptions import UnauthorizedException

from tests.support.appsync_server import API_KEY, RawClient, api_config, run_with_raw_client
from tests.support.invokers import CallableInvoker
from vcn.appsync.config import DataSource, HandlerConfig, Namespace
from vcn.appsync.server import AppSyncEventsServer

# ---- the function under test: a tiny resolver, as a Lambda handler module would define it

app = AppSyncEventsResolver()
received: list[dict[str, Any]] = []


@app.on_publish("/chat/*")
def stamp(payload: Any) -> Any:
    if isinstance(payload, dict) and payload.get("reject"):
        raise ValueError("messages with reject are not allowed")
    if payload == "inflate":
        return "x" * (241 * 1024)
    return (
        {"text": payload, "stamped": True} if not isinstance(payload, dict) else {**payload, "stamped": True}
    )


@app.on_publish("/filtered/*", aggregate=True)
def drop_marked(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in payload if not event["payload"].get("drop")]


@app.on_publish("/locked/*", aggregate=True)
def locked(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    raise ValueError("channel is locked")


@app.on_publish("/locked/vault", aggregate=True)  # longest match wins over /locked/*
def vault(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    raise UnauthorizedException("vault is sealed")


@app.on_subscribe("/chat/private/*")
def private() -> None:
    raise UnauthorizedException("private rooms need an invitation")


@app.on_subscribe("/chat/broken")
def broken() -> None:
    raise KeyError("boom")


@app.on_subscribe("/chat/*")
def anyone() -> None:
    received.append(app.current_event.raw_event)


class Context:
    function_name = "ChatResolver"
    aws_request_id = "local"


def lambda_handler(event: dict[str, Any]) -> Any:
    return app.resolve(event, Context())  # type: ignore[arg-type]


# ---- wiring


def handler_config(invoke_type: str = "REQUEST_RESPONSE") -> Any:
    handler = HandlerConfig("DIRECT", data_source="ChatResolverSource", invoke_type=invoke_type)  # type: ignore[arg-type]
    return api_config(
        Namespace("chat", on_publish=handler, on_subscribe=handler),
        Namespace("locked", on_publish=handler),
        Namespace("filtered", on_publish=handler),
        Namespace("plain"),
        data_sources=(
            DataSource("ChatResolverSource", "arn:aws:lambda:us-east-1:000000000000:function:ChatResolver"),
        ),
    )


def invoker() -> CallableInvoker:
    return CallableInvoker({"ChatResolver": lambda_handler})


def test_on_publish_transforms_events_and_reports_handler_errors_as_failed() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/chat/room1")
        events = [json.dumps({"n": 1}), json.dumps({"reject": True}), json.dumps("hi")]
        await client.publish("p1", "/chat/room1", events)
        frames = [await client.recv() for _ in range(3)]
        data = [json.loads(f["event"]) for f in frames if f["type"] == "data"]
        assert data == [{"n": 1, "stamped": True}, {"text": "hi", "stamped": True}]
        (reply,) = [f for f in frames if f["type"] == "publish_success"]
        assert [s["index"] for s in reply["successful"]] == [0, 2]
        (failed,) = reply["failed"]
        assert failed["index"] == 1
        assert failed["message"] == "ValueError - messages with reject are not allowed"
        assert await client.silent()

    run_with_raw_client(scenario, handler_config(), invoker())


def test_on_publish_error_reply_or_unauthorized_exception_fails_the_whole_publish() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/locked/*")
        for channel, message in [
            ("/locked/a", "ValueError - channel is locked"),
            ("/locked/vault", "vault is sealed"),
        ]:
            await client.publish("p1", channel, ['"x"'])
            assert await client.recv() == {
                "type": "publish_error",
                "id": "p1",
                "errors": [{"errorType": "Unauthorized", "message": message}],
            }
            assert await client.silent()
            async with aiohttp.ClientSession() as http:
                body = {"channel": channel, "events": ['"x"']}
                async with http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response:
                    assert response.status == 403
                    assert (await response.json())["errors"][0]["message"] == message

    run_with_raw_client(scenario, handler_config(), invoker())


def test_aggregate_on_publish_filters_events() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/filtered/*")
        events = [json.dumps({"n": 1, "drop": True}), json.dumps({"n": 2})]
        await client.publish("p1", "/filtered/a", events)
        frames = [await client.recv(), await client.recv()]
        assert {"type": "data", "id": "s1", "event": '{"n":2}'} in frames
        (reply,) = [f for f in frames if f["type"] == "publish_success"]
        assert reply["failed"] == []
        assert await client.silent()

    run_with_raw_client(scenario, handler_config(), invoker())


def test_http_publish_reports_handler_failures_per_event() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/chat/*")
        body = {"channel": "/chat/a/b", "events": [json.dumps({"reject": 1}), json.dumps({"ok": 1})]}
        async with (
            aiohttp.ClientSession() as http,
            http.post(server.http_url, json=body, headers={"x-api-key": API_KEY}) as response,
        ):
            result = await response.json()
        assert [s["index"] for s in result["successful"]] == [1]
        assert [f["index"] for f in result["failed"]] == [0]
        assert json.loads((await client.recv())["event"]) == {"ok": 1, "stamped": True}

    run_with_raw_client(scenario, handler_config(), invoker())


def test_on_subscribe_receives_the_documented_request_and_null_allows() -> None:
    received.clear()

    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        assert (await client.subscribe("s1", "/chat/lobby"))["type"] == "subscribe_success"

    run_with_raw_client(scenario, handler_config(), invoker())
    (event,) = received
    assert event["info"] == {
        "channel": {"path": "/chat/lobby", "segments": ["chat", "lobby"]},
        "channelNamespace": {"name": "chat"},
        "operation": "SUBSCRIBE",
    }
    assert event["identity"] is None  # API_KEY
    assert event["events"] is None and event["stash"] == {} and event["outErrors"] == []
    assert event["request"]["domainName"] is None
    assert event["request"]["headers"]["x-api-key"] == API_KEY


def test_unauthorized_exception_from_on_subscribe_denies_with_unauthorized() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        reply = await client.subscribe("s1", "/chat/private/room")
        assert reply["type"] == "subscribe_error"
        assert reply["errors"][0]["errorType"] == "Unauthorized"
        # The denied subscription receives nothing.
        await client.publish("p1", "/chat/private/room", ['"secret"'])
        assert (await client.recv())["type"] == "publish_success"
        assert await client.silent()

    run_with_raw_client(scenario, handler_config(), invoker())


def test_error_reply_from_on_subscribe_denies() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        reply = await client.subscribe("s1", "/chat/broken")
        assert reply == {
            "type": "subscribe_error",
            "id": "s1",
            "errors": [{"errorType": "Unauthorized", "message": "KeyError - 'boom'"}],
        }

    run_with_raw_client(scenario, handler_config(), invoker())


def test_crashing_on_subscribe_function_is_a_subscription_processing_error() -> None:
    def crash(event: dict[str, Any]) -> None:
        raise RuntimeError("handler crashed")

    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        reply = await client.subscribe("s1", "/chat/room")
        assert reply["errors"][0]["errorType"] == "SubscriptionProcessingError"

    run_with_raw_client(scenario, handler_config(), CallableInvoker({"ChatResolver": crash}))


def test_event_invoke_type_broadcasts_unchanged_and_calls_the_function() -> None:
    calls: list[dict[str, Any]] = []

    async def record(event: dict[str, Any]) -> Any:
        calls.append(event)
        return {"events": []}  # ignored: EVENT invocations do not shape the broadcast

    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/chat/room")
        await client.publish("p1", "/chat/room", ['{"a":1}'])
        frames = [await client.recv(), await client.recv()]
        assert {"type": "data", "id": "s1", "event": '{"a":1}'} in frames
        for _ in range(100):
            if len(calls) == 2:
                break
            await asyncio.sleep(0.01)

    run_with_raw_client(scenario, handler_config("EVENT"), CallableInvoker({"ChatResolver": record}))
    assert [c["info"]["operation"] for c in calls] == ["SUBSCRIBE", "PUBLISH"]
    assert calls[1]["events"][0]["payload"] == {"a": 1}


def test_namespace_without_handlers_passes_events_through() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/plain/a")
        await client.publish("p1", "/plain/a", ['{"raw" : true}'])
        frames = [await client.recv(), await client.recv()]
        assert {"type": "data", "id": "s1", "event": '{"raw" : true}'} in frames

    run_with_raw_client(scenario, handler_config(), invoker())


def test_event_too_large_after_on_publish_is_a_broadcast_error_and_a_failed_entry() -> None:
    async def scenario(server: AppSyncEventsServer, client: RawClient) -> None:
        await client.subscribe("s1", "/chat/room")
        await client.publish("p1", "/chat/room", ['"inflate"'])
        frames = [await client.recv(), await client.recv()]
        assert {
            "type": "broadcast_error",
            "id": "s1",
            "errors": [
                {
                    "errorType": "MessageProcessingError",
                    "message": "There was an error processing the message",
                }
            ],
        } in frames
        (reply,) = [f for f in frames if f["type"] == "publish_success"]
        assert reply["successful"] == [] and [f["index"] for f in reply["failed"]] == [0]

    run_with_raw_client(scenario, handler_config(), invoker())


def test_direct_handler_without_an_invoker_is_refused_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invoker"):
        AppSyncEventsServer(handler_config(), None, state_dir=tmp_path)


def test_direct_handler_naming_an_unknown_data_source_is_refused(tmp_path: Path) -> None:
    handler = HandlerConfig("DIRECT", data_source="Missing")
    with pytest.raises(ValueError, match="Missing"):
        AppSyncEventsServer(api_config(Namespace("ns", on_publish=handler)), invoker(), state_dir=tmp_path)
