"""The Event API's operations, shared by the WebSocket and HTTP transports: publish and subscribe admission.

Order of checks for an operation: channel syntax (BadRequestException), input limits, namespace existence
(UnauthorizedException without a message), authorization on the operation's own auth object, then the
namespace's handler. Only then are events broadcast or a subscription admitted.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vcn import json_limits
from vcn.appsync.authorization import Authorizer, AuthRequest, Grant
from vcn.appsync.channels import Channel, parse_channel
from vcn.appsync.config import EventApiConfig, Namespace
from vcn.appsync.fanout import FanOut
from vcn.appsync.handlers import ChannelHandlers, IncomingEvent
from vcn.appsync.metrics import OperationCounts
from vcn.appsync.protocol import (
    AppSyncError,
    AppSyncLimits,
    invalid_input,
    too_many_events,
    unknown_namespace,
)
from vcn.appsync.subscriptions import SubscriptionIndex
from vcn.invoker import LambdaInvoker

SignedBodies = Callable[[], list[bytes]]


@dataclass(frozen=True)
class PublishResult:
    successful: list[dict[str, Any]]
    failed: list[dict[str, Any]]


class EventApi:
    def __init__(
        self,
        config: EventApiConfig,
        invoker: LambdaInvoker | None,
        authorizer: Authorizer,
        *,
        limits: AppSyncLimits | None = None,
    ) -> None:
        self.config = config
        self.limits = limits or AppSyncLimits()
        self.index = SubscriptionIndex()
        self.fanout = FanOut(self.index)
        self.authorizer = authorizer
        self.handlers = ChannelHandlers(config, invoker, max_event_bytes=self.limits.max_event_bytes)
        self.counts = OperationCounts()

    def namespace(self, channel: Channel) -> Namespace:
        ns = self.config.namespace(channel.namespace)
        if ns is None:
            raise unknown_namespace()
        return ns

    async def connect(self, headers: Mapping[str, str], source_ip: str) -> Grant:
        self.counts.connect_requests += 1
        with self._counting_refusals("connect"):
            grant = await self.authorizer.authorize(
                AuthRequest("EVENT_CONNECT", headers, None, lambda: [b"{}"], source_ip)
            )
        self.counts.connect_success += 1
        return grant

    async def admit_subscription(
        self, raw_channel: object, headers: Mapping[str, str], source_ip: str
    ) -> Channel:
        """Validate, authorize and run onSubscribe for a subscription; raise AppSyncError when refused."""
        with self._counting_refusals("subscribe"):
            channel = parse_channel(raw_channel, allow_wildcard=True)
            ns = self.namespace(channel)
            grant = await self.authorizer.authorize(
                AuthRequest(
                    "EVENT_SUBSCRIBE", headers, channel, _bodies({"channel": raw_channel}, channel), source_ip
                )
            )
            await self.handlers.on_subscribe(ns, channel, grant.identity, headers)
        self.counts.subscribe_success += 1
        return channel

    async def publish(
        self,
        raw_channel: object,
        raw_events: object,
        headers: Mapping[str, str],
        *,
        websocket: bool,
        source_ip: str,
        signed_bodies: SignedBodies | None = None,
    ) -> PublishResult:
        events = len(raw_events) if isinstance(raw_events, list) and raw_events else 1
        with self._counting_refusals("publish_events", events):
            channel = parse_channel(raw_channel, allow_wildcard=False)
            texts = self._validate_events(raw_events, websocket=websocket)
            ns = self.namespace(channel)
            bodies = signed_bodies or _bodies({"channel": raw_channel, "events": raw_events}, channel)
            grant = await self.authorizer.authorize(
                AuthRequest("EVENT_PUBLISH", headers, channel, bodies, source_ip)
            )
            incoming = [IncomingEvent(str(uuid.uuid4()), i, text) for i, text in enumerate(texts)]
            outcome = await self.handlers.on_publish(ns, channel, incoming, grant.identity, headers)
            self.fanout.broadcast(channel, outcome.broadcast)
            if outcome.oversized:
                self.fanout.broadcast_failure(channel)
        self.counts.publish_events_success += len(outcome.successful)
        self.counts.publish_events_client_error += len(outcome.failed)
        return PublishResult(
            [{"identifier": e.id, "index": e.index} for e in outcome.successful],
            # UNCONFIRMED: the fields of a failed entry beyond identifier and index.
            [
                {"identifier": e.id, "index": e.index, "code": 400, "message": msg}
                for e, msg in outcome.failed
            ],
        )

    @contextlib.contextmanager
    def _counting_refusals(self, operation: str, amount: int = 1) -> Iterator[None]:
        """Count an AppSyncError raised inside as `amount` refused `operation`s, then let it go on."""
        try:
            yield
        except AppSyncError as error:
            self.counts.refused(operation, error.status, amount)
            raise

    def _validate_events(self, raw_events: object, *, websocket: bool) -> list[str]:
        limits = self.limits
        if not isinstance(raw_events, list) or not raw_events:
            raise invalid_input(
                f"events must be a list of 1 to {limits.max_events_per_publish} JSON strings",
                websocket=websocket,
            )
        if len(raw_events) > limits.max_events_per_publish:
            raise too_many_events(websocket=websocket, limit=limits.max_events_per_publish)
        texts: list[str] = []
        for index, event in enumerate(raw_events):
            if not isinstance(event, str):
                raise invalid_input(
                    f"event {index} must be a string holding JSON, e.g. JSON.stringify(value)",
                    websocket=websocket,
                )
            try:
                size = len(event.encode())
            except UnicodeEncodeError as exc:
                raise invalid_input(
                    f"event {index} holds a lone surrogate ({event[exc.start]!r}) at character {exc.start},"
                    " which is not text; escape pairs must be complete",
                    websocket=websocket,
                ) from None
            if size > limits.max_event_bytes:
                raise invalid_input(
                    f"event {index} exceeds the {limits.max_event_bytes // 1024} KB event size limit",
                    websocket=websocket,
                )
            try:
                json_limits.loads(event)
            except json_limits.JsonRefused as exc:
                # Subscribers parse every event: only valid JSON is ever broadcast.
                raise invalid_input(f"event {index} is not valid JSON: {exc}", websocket=websocket) from None
            texts.append(event)
        return texts


def _bodies(document: dict[str, Any], channel: Channel) -> SignedBodies:
    """The serialisations of a WebSocket operation's body a SigV4 client may have signed (built lazily)."""

    def build() -> list[bytes]:
        raw = document.get("channel")
        variants = {raw, channel.display, channel.display.lstrip("/")} - {None}
        bodies: list[bytes] = []
        for variant in variants:
            doc = {**document, "channel": variant}
            for separators in ((",", ":"), (", ", ": ")):
                bodies.append(json.dumps(doc, separators=separators, ensure_ascii=False).encode())
        return bodies

    return build
