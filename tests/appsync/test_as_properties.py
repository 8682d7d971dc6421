"""Arbitrary input at the AppSync Events server (`POST /event` bodies and headers, WebSocket text frames):
never an answer that is the server's own failure, and a refused publish delivers nothing, an accepted one
exactly its events."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.appsync_server import API_KEY, KEY_AUTH, api_config, header_subprotocol
from tests.support.eventbridge import LoopThread
from tests.support.json_strategies import json_ish_texts
from tests.support.raw_http import exchange, request_bytes
from vcn.appsync.server import AppSyncEventsServer

# Subscriptions of the watcher, and which of them each accepted channel reaches.
WATCHED = {"d": "/default/*", "o": "/other/*"}
CHANNELS = {"/default/a": "d", "default/a/b": "d", "/other/x": "o"}
REFUSED_CHANNELS = ["/nowhere/a", "/default/*", "", "/default/a-", "/default/" + "x" * 51, "/default/\udc80"]


class Watcher:
    """A WebSocket subscriber that collects `data` frames; a sentinel publish marks where an example ends."""

    def __init__(self, server: AppSyncEventsServer, loop: LoopThread) -> None:
        self.server = server
        self.loop = loop
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ws: Any = None
        self._sentinels = itertools.count()

    async def connect(self) -> None:
        self._ws = await websockets.connect(
            self.server.realtime_url,
            subprotocols=["aws-appsync-event-ws", header_subprotocol(KEY_AUTH)],  # type: ignore[list-item]
            max_size=None,
        )
        for sub_id, channel in WATCHED.items():
            frame = {"type": "subscribe", "id": sub_id, "channel": channel, "authorization": KEY_AUTH}
            await self._ws.send(json.dumps(frame))
            assert json.loads(await self._ws.recv())["type"] == "subscribe_success"
        asyncio.get_running_loop().create_task(self._collect())

    async def _collect(self) -> None:
        async for raw in self._ws:
            await self.frames.put(json.loads(raw))

    async def close(self) -> None:
        await self._ws.close()

    def delivered_since_last_example(self) -> list[tuple[str, str]]:
        """(subscription id, event) of every data frame up to a fresh sentinel, which is published now."""
        sentinel = json.dumps(f"sentinel-{next(self._sentinels)}")
        body = json.dumps({"channel": "/default/sentinel", "events": [sentinel]}).encode()
        reply = exchange(
            self.server.port or 0, request_bytes("POST", b"/event", [(b"x-api-key", API_KEY.encode())], body)
        )
        assert reply.status == 200

        async def until_sentinel() -> list[tuple[str, str]]:
            seen: list[tuple[str, str]] = []
            while True:
                frame = await asyncio.wait_for(self.frames.get(), 10)
                if frame.get("event") == sentinel:
                    return seen
                seen.append((frame["id"], frame["event"]))  # a data frame: anything else fails here

        return self.loop.run(until_sentinel())


@pytest.fixture(scope="module")
def appsync() -> Iterator[tuple[AppSyncEventsServer, Watcher, LoopThread]]:
    loop = LoopThread()
    with tempfile.TemporaryDirectory() as state:
        server = AppSyncEventsServer(api_config(), None, state_dir=Path(state))
        loop.run(server.start())
        watcher = Watcher(server, loop)
        loop.run(watcher.connect())
        try:
            yield server, watcher, loop
        finally:
            loop.run(watcher.close())
            loop.run(server.stop())
            loop.close()


json_ish = json_ish_texts(
    ["1", "NaN", "-Infinity", "1e400", '"\\ud800"', "\ud800", "null", '"x"', "[", "{", "tru"], max_leaves=8
)
valid_events = st.builds(
    json.dumps,
    st.recursive(
        st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=5,
    ),
)
events = st.one_of(
    valid_events,
    valid_events,
    valid_events,
    json_ish,
    st.integers(1, 2_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 60_000).map(lambda depth: "[" * depth),
)
# Mostly requests that could be accepted, so that what is wrong in them is one detail among right ones.
documents = st.fixed_dictionaries(
    {
        "channel": st.one_of(
            st.sampled_from(list(CHANNELS)),
            st.sampled_from(list(CHANNELS)),
            st.sampled_from(REFUSED_CHANNELS) | st.integers() | st.none(),
        ),
        "events": st.one_of(
            st.lists(events, min_size=1, max_size=3),
            st.lists(events, min_size=1, max_size=3),
            st.lists(events, max_size=7) | st.just("not a list") | st.lists(st.integers(), max_size=2),
        ),
    }
)


def encode(document: dict[str, Any], extra: str) -> bytes:
    # ensure_ascii keeps lone surrogates as \u escapes; `extra` may splice something that is not JSON.
    return (json.dumps(document)[:-1] + extra + "}").encode()


clean_documents = st.builds(encode, documents, st.just(""))
valid_documents = st.builds(
    encode,
    st.fixed_dictionaries(
        {"channel": st.sampled_from(list(CHANNELS)), "events": st.lists(valid_events, min_size=1, max_size=5)}
    ),
    st.just(""),
)
bodies = st.one_of(
    valid_documents,
    valid_documents,
    clean_documents,
    clean_documents,
    clean_documents,
    st.builds(encode, documents, st.sampled_from(["", ',"x":NaN', ',"x":' + "[" * 5_000, ',"x":1e999'])),
    st.binary(max_size=200),
    json_ish.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.integers(1, 100_000).map(lambda depth: b"[" * depth),
)
TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
headers = st.lists(
    st.tuples(
        st.sampled_from([b"x-api-key", b"authorization", b"content-type", b"x-amz-date"])
        | st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=10).map(str.encode),
        st.binary(max_size=30).map(lambda raw: bytes(b for b in raw if b >= 0x20 and b != 0x7F)),
    ),
    max_size=3,
).filter(
    lambda pairs: all(
        name.lower() not in (b"content-length", b"transfer-encoding", b"connection") for name, _ in pairs
    )
)
VALID_KEY = [(b"x-api-key", API_KEY.encode())]
keys = st.sampled_from([VALID_KEY, VALID_KEY, VALID_KEY, [(b"x-api-key", b"da2-wrong")], []])


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, key=keys, extra_headers=headers)
def test_http_publish_never_fails_the_server_and_delivers_only_what_it_accepts(
    appsync: tuple[AppSyncEventsServer, Watcher, LoopThread],
    body: bytes,
    key: list[tuple[bytes, bytes]],
    extra_headers: list[tuple[bytes, bytes]],
) -> None:
    server, watcher, _ = appsync
    reply = exchange(server.port or 0, request_bytes("POST", b"/event", [*key, *extra_headers], body))
    delivered = watcher.delivered_since_last_example()
    hypothesis.event(f"status {reply.status}")
    assert reply.status < 500, (body[:200], reply)
    if reply.status != 200:
        assert delivered == [], body[:200]
        if reply.headers.get("content-type", "").startswith("application/json"):
            assert "errorType" in json.loads(reply.body)["errors"][0]
        else:  # refused by the HTTP parser before the API saw it (e.g. a second Host header)
            assert reply.status == 400
        return
    document = json.loads(body)
    receiver = CHANNELS[document["channel"]]
    assert delivered == [(receiver, event) for event in document["events"]]
    for event in document["events"]:
        assert_strict_json(event)


def _not_json(literal: str) -> Any:
    raise AssertionError(f"{literal} was accepted as JSON")


def _finite(literal: str) -> float:
    value = float(literal)
    assert math.isfinite(value), f"{literal} was accepted as JSON"
    return value


def assert_strict_json(text: str) -> None:
    """What any subscriber's parser must accept: RFC 8259 JSON, finite numbers, UTF-8 text."""
    json.loads(text, parse_constant=_not_json, parse_float=_finite)
    text.encode()


ws_frames = st.one_of(
    json_ish,
    st.text(max_size=50),
    st.integers(1, 50_000).map(lambda depth: "[" * depth),
    st.builds(
        lambda kind, op_id, channel, evts, auth: json.dumps(
            {"type": kind, "id": op_id, "channel": channel, "events": evts, "authorization": auth}
        ),
        st.sampled_from(["publish", "subscribe", "unsubscribe", "connection_init", "ka", "start", None]),
        st.text(alphabet="ab-_+1", min_size=1, max_size=4) | st.integers() | st.none(),
        st.sampled_from([*CHANNELS, *REFUSED_CHANNELS]) | st.integers(),
        st.lists(events, max_size=6) | st.none(),
        st.sampled_from([KEY_AUTH, {}, {"x-api-key": "clé"}, "x", None]),
    ),
)


def utf8_encodable(text: str) -> bool:
    return not any("\ud800" <= char <= "\udfff" for char in text)  # a text frame must be UTF-8


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=st.lists(ws_frames.filter(utf8_encodable), min_size=1, max_size=4))
def test_websocket_text_frames_never_fail_the_server_nor_end_the_connection(
    appsync: tuple[AppSyncEventsServer, Watcher, LoopThread], frames: list[str]
) -> None:
    server, watcher, loop = appsync

    async def exchange_frames() -> list[dict[str, Any]]:
        async with websockets.connect(
            server.realtime_url,
            subprotocols=["aws-appsync-event-ws", header_subprotocol(KEY_AUTH)],  # type: ignore[list-item]
        ) as ws:
            for frame in frames:
                await ws.send(frame)
            # A subscribe of our own marks the end: everything before it answers the frames above.
            probe = {"type": "subscribe", "id": "probe-end", "channel": "/probe/x", "authorization": KEY_AUTH}
            await ws.send(json.dumps(probe))
            replies: list[dict[str, Any]] = []
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if reply.get("id") == "probe-end":
                    return replies
                replies.append(reply)

    replies = loop.run(exchange_frames())
    for reply in replies:
        assert reply.get("type") != "connection_error", reply
        errors = reply.get("errors") or []
        assert all(
            error.get("errorType") not in ("InternalFailure", "MessageProcessingError") for error in errors
        )
    accepted = {reply["id"] for reply in replies if reply.get("type") == "publish_success"}
    delivered = watcher.delivered_since_last_example()
    if not accepted:
        assert delivered == []  # nothing refused was delivered
    for _, event in delivered:
        assert_strict_json(event)
