"""Channel namespace handlers: DIRECT Lambda `OnPublish` / `OnSubscribe` with the service's request and reply
shapes.

Request: `{"identity","request":{"headers","domainName"},"info":{"channel","channelNamespace","operation"},
"stash","outErrors","events"}`. Publish reply `{"events":[{"id","payload"}|{"id","error"}]}` or `{"error"}`;
subscribe reply `null` allows and `{"error"}` (or a function error of type UnauthorizedException) denies.
These are the shapes Powertools' `AppSyncEventsResolver` reads and writes.

A handler in `EVENT` invoke mode is invoked asynchronously and never waited for: the invocation is
scheduled to start after the publish or subscribe it belongs to has been answered (and the events
broadcast), and its outcome changes neither. Lambda's asynchronous semantics (retries, on-failure
destination) are the invoker's.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from vcn.appsync.channels import Channel
from vcn.appsync.config import EventApiConfig, HandlerConfig, Namespace
from vcn.appsync.protocol import (
    AppSyncError,
    event_json,
    handler_failed,
    publish_denied,
    subscription_denied,
)
from vcn.invoker import FunctionError, FunctionNotFound, LambdaInvoker

logger = logging.getLogger("vcn.appsync")
# What the namespace property of each handler is called, as the logs name it.
_HANDLER_NAMES = {"SUBSCRIBE": "onSubscribe", "PUBLISH": "onPublish"}


@dataclass(frozen=True)
class IncomingEvent:
    id: str  # the identifier reported back to the publisher
    index: int
    text: str  # the JSON string as published


@dataclass
class PublishOutcome:
    broadcast: list[str]  # JSON strings to deliver, in order
    successful: list[IncomingEvent]
    failed: list[tuple[IncomingEvent, str]]  # event and the handler's error message
    oversized: int = 0  # transformed events too large to deliver


class ChannelHandlers:
    def __init__(
        self, config: EventApiConfig, invoker: LambdaInvoker | None, *, max_event_bytes: int
    ) -> None:
        self._config = config
        self._invoker = invoker
        self._max_event_bytes = max_event_bytes
        self._data_sources = {ds.name: ds.function for ds in config.data_sources}
        self._warned: set[str] = set()
        self._scheduled: set[asyncio.Task[None]] = set()
        self.event_invocations = 0  # EVENT-mode handler invocations handed to Lambda
        self.event_invocation_errors = 0  # ... that Lambda refused (e.g. the function does not exist)
        for ns in config.namespaces:
            for handler in (ns.on_publish, ns.on_subscribe):
                if handler is None or handler.behavior != "DIRECT":
                    continue
                if handler.data_source not in self._data_sources:
                    raise ValueError(
                        f"namespace {ns.name!r}: DIRECT handler names data source {handler.data_source!r},"
                        f" which is not defined; define an AWS_LAMBDA DataSource with that Name"
                    )
                if invoker is None:
                    raise ValueError(
                        f"namespace {ns.name!r} has a DIRECT Lambda handler but the server has no Lambda"
                        " invoker; pass one to AppSyncEventsServer"
                    )

    def _function(self, ns: Namespace, handler: HandlerConfig) -> str | None:
        if handler.behavior != "DIRECT":
            if ns.name not in self._warned:
                self._warned.add(ns.name)
                logger.warning(
                    "namespace %s uses CODE (APPSYNC_JS) handlers, which the local cloud does not run;"
                    " events pass through unchanged",
                    ns.name,
                )
            return None
        return self._data_sources.get(handler.data_source or "")

    def _request(
        self,
        operation: Literal["PUBLISH", "SUBSCRIBE"],
        channel: Channel,
        identity: dict[str, Any] | None,
        headers: Mapping[str, str],
        events: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        return {
            "identity": identity,
            "request": {"headers": dict(headers), "domainName": None},
            "info": {
                "channel": {
                    "path": channel.display,
                    "segments": [*channel.segments, *(["*"] if channel.wildcard else [])],
                },
                "channelNamespace": {"name": channel.namespace},
                "operation": operation,
            },
            "stash": {},
            "outErrors": [],
            "events": events,
        }

    async def on_subscribe(
        self, ns: Namespace, channel: Channel, identity: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> None:
        """Return when the subscription is allowed; raise AppSyncError when denied or the handler fails."""
        if ns.on_subscribe is None or self._invoker is None:
            return
        function = self._function(ns, ns.on_subscribe)
        if function is None:
            return
        if ns.on_subscribe.invoke_type == "EVENT":
            copied = dict(headers)
            self._invoke_later(function, lambda: self._request("SUBSCRIBE", channel, identity, copied, None))
            return
        request = self._request("SUBSCRIBE", channel, identity, headers, None)
        reply = await self._invoke(function, "SUBSCRIBE", request, subscription_denied)
        if reply is None:
            return
        if isinstance(reply, dict) and "error" in reply:
            raise subscription_denied(str(reply["error"]))
        logger.warning("onSubscribe handler %s returned %r; expected null or {'error': ..}", function, reply)

    async def on_publish(
        self,
        ns: Namespace,
        channel: Channel,
        events: list[IncomingEvent],
        identity: dict[str, Any] | None,
        headers: Mapping[str, str],
    ) -> PublishOutcome:
        passthrough = PublishOutcome([e.text for e in events], list(events), [])
        if ns.on_publish is None or self._invoker is None:
            return passthrough
        function = self._function(ns, ns.on_publish)
        if function is None:
            return passthrough
        if ns.on_publish.invoke_type == "EVENT":
            # The events are broadcast as published; the request is even built after that.
            copied = dict(headers)
            self._invoke_later(
                function,
                lambda: self._request("PUBLISH", channel, identity, copied, _payloads(events)),
            )
            return passthrough
        request = self._request("PUBLISH", channel, identity, headers, _payloads(events))
        reply = await self._invoke(function, "PUBLISH", request, publish_denied)
        return self._publish_reply(function, events, reply)

    async def _invoke(
        self,
        function: str,
        operation: Literal["PUBLISH", "SUBSCRIBE"],
        request: dict[str, Any],
        denied: Callable[[str | None], AppSyncError],
    ) -> Any:
        """A REQUEST_RESPONSE handler's reply. Its UnauthorizedException denies the operation (`denied`);
        any other failure, or a function that does not exist, fails it as the handler's fault."""
        invoker = self._invoker
        assert invoker is not None
        handler = _HANDLER_NAMES[operation]
        try:
            return await invoker.invoke(function, request)
        except FunctionError as exc:
            if exc.error_type == "UnauthorizedException":
                raise denied(exc.error_message or None) from exc
            logger.warning("%s handler %s failed: %s", handler, function, exc)
            raise handler_failed(operation) from exc
        except FunctionNotFound as exc:
            logger.error("%s handler %s does not exist", handler, function)
            raise handler_failed(operation) from exc

    def _invoke_later(self, function: str, request: Callable[[], dict[str, Any]]) -> None:
        """Hand an EVENT-mode invocation to Lambda once the current operation has been answered."""
        invoker = self._invoker
        assert invoker is not None

        async def invoke() -> None:
            try:
                await invoker.invoke_async(function, request())
                self.event_invocations += 1
            except Exception as exc:  # nothing to tell the client: its operation already succeeded
                self.event_invocation_errors += 1
                logger.error("EVENT-mode handler %s could not be invoked: %s", function, exc)

        task = asyncio.get_running_loop().create_task(invoke())
        self._scheduled.add(task)
        task.add_done_callback(self._scheduled.discard)

    def _publish_reply(self, function: str, events: list[IncomingEvent], reply: Any) -> PublishOutcome:
        if isinstance(reply, dict) and "error" in reply:
            raise publish_denied(str(reply["error"]))
        if not isinstance(reply, dict) or not isinstance(reply.get("events"), list):
            logger.warning(
                "onPublish handler %s returned %r; expected {'events': [..]} or {'error': ..}",
                function,
                reply,
            )
            raise handler_failed("PUBLISH")
        by_id = {e.id: e for e in events}
        outcome = PublishOutcome([], [], [])
        for item in reply["events"]:
            if not isinstance(item, dict):
                continue
            original = by_id.pop(str(item.get("id")), None)
            if "error" in item:
                if original is not None:
                    outcome.failed.append((original, str(item["error"])))
                continue
            try:
                text = event_json(item.get("payload"))
            except ValueError as exc:  # never broadcast what subscribers cannot parse
                if original is not None:
                    outcome.failed.append((original, f"onPublish returned a payload that is not JSON: {exc}"))
                continue
            if len(text) > self._max_event_bytes:
                outcome.oversized += 1
                if original is not None:
                    outcome.failed.append(
                        (original, f"event exceeds {self._max_event_bytes} bytes after onPublish")
                    )
                continue
            outcome.broadcast.append(text)
            if original is not None:
                outcome.successful.append(original)
        # Events the handler dropped were accepted, just not broadcast.
        outcome.successful.extend(by_id.values())
        outcome.successful.sort(key=lambda e: e.index)
        return outcome


def _payloads(events: list[IncomingEvent]) -> list[dict[str, Any]]:
    return [{"id": event.id, "payload": json.loads(event.text)} for event in events]
