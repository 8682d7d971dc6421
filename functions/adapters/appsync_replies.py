"""`ReplySubscriber` on AppSync Events: one IAM-signed realtime connection per waiting request.

The connection lives exactly as long as the request waits: subscribe (returns after subscribe_success),
hand the events to the caller, then close the socket, which ends the subscription at the service.
Endpoints come from EVENTS_HTTP_URL / EVENTS_REALTIME_URL (the template sets them from the API's
`Dns.Http` / `Dns.Realtime`); credentials are the function's own (SigV4, service `appsync`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from appsync_events_client import EventsClient, EventsError, IamAuth, ReconnectPolicy, Subscription

from adapters.request_reply import ReplyChannelLost, ReplyChannelUnavailable

HTTP_URL_ENV = "EVENTS_HTTP_URL"
REALTIME_URL_ENV = "EVENTS_REALTIME_URL"
# A request waits at most 25 s: a dropped socket gets two quick tries, not the default patient backoff.
REQUEST_RECONNECT = ReconnectPolicy(initial_delay=0.05, max_delay=0.5, max_attempts=2)


class SubscriptionReplies:
    """`Replies` over a client `Subscription`."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    async def get(self, timeout: float) -> Any:
        try:
            return await self._subscription.get(timeout)
        except StopAsyncIteration:
            raise ReplyChannelLost(f"the subscription to {self._subscription.channel} ended") from None
        except EventsError as error:
            raise ReplyChannelLost(str(error)) from error


class AppSyncReplySubscriber:
    """Subscribes with the given client (IAM auth in the deployed function)."""

    def __init__(self, client: EventsClient) -> None:
        self._client = client

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[SubscriptionReplies]:
        connection = self._client.connect()
        try:
            try:
                await connection.open()
                subscription = await connection.subscribe(channel)
            except EventsError as error:
                raise ReplyChannelUnavailable(f"cannot subscribe to {channel}: {error}") from error
            yield SubscriptionReplies(subscription)
        finally:
            # Closing the socket ends the subscription at the service and the iterator here.
            await connection.close()


def appsync_reply_subscriber_from_environment(operation_timeout: float = 5.0) -> AppSyncReplySubscriber:
    """The deployed function's subscriber: endpoints from the environment, the function's IAM credentials."""
    import botocore.session  # imported here: only the request/reply route needs it

    http_url = os.environ.get(HTTP_URL_ENV, "")
    realtime_url = os.environ.get(REALTIME_URL_ENV, "")
    if not http_url or not realtime_url:
        raise RuntimeError(
            f"{HTTP_URL_ENV} and {REALTIME_URL_ENV} must be set; the function's template defines them"
        )
    session = botocore.session.get_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials in the function's environment to sign AppSync requests")
    region = os.environ.get("AWS_REGION") or session.get_config_variable("region") or "us-east-1"
    client = EventsClient(
        http_url,
        realtime_url,
        IamAuth(credentials, region),
        reconnect=REQUEST_RECONNECT,
        operation_timeout=operation_timeout,
        open_timeout=operation_timeout,
    )
    return AppSyncReplySubscriber(client)
