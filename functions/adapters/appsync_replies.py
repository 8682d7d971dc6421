"""`ReplySubscriber` on AppSync Events: one IAM-signed realtime connection per waiting request.

The connection lives exactly as long as the request waits: subscribe (returns after subscribe_success),
hand the events to the caller, then close the socket, which ends the subscription at the service.
Endpoints come from the function's settings (the template sets them from the API's `Dns.Http` /
`Dns.Realtime`); credentials are the function's own (SigV4, service `appsync`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from appsync_events_client import EventsClient, EventsError, IamAuth, ReconnectPolicy, Subscription

from adapters.request_reply import ReplyChannelLost, ReplyChannelUnavailable

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


def appsync_reply_subscriber(
    http_url: str, realtime_url: str, *, region: str = "", operation_timeout: float = 5.0
) -> AppSyncReplySubscriber:
    """The deployed function's subscriber on the given endpoints, signing with the function's credentials."""
    import botocore.session  # imported here: only the request/reply route needs it

    session = botocore.session.get_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials in the function's environment to sign AppSync requests")
    region = region or session.get_config_variable("region") or "us-east-1"
    client = EventsClient(
        http_url,
        realtime_url,
        IamAuth(credentials, region),
        reconnect=REQUEST_RECONNECT,
        operation_timeout=operation_timeout,
        open_timeout=operation_timeout,
    )
    return AppSyncReplySubscriber(client)
