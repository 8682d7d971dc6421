"""Asyncio client for AppSync Events (AWS or the local cloud): subscribe, publish over WebSocket and HTTP.

Public API: `EventsClient`, the auth strategies `ApiKeyAuth` / `TokenAuth` / `IamAuth`, `EventsConnection`,
`Subscription`, `PublishResult`, `ReconnectPolicy` and the typed errors (all carry `error_type`/`message`).
"""

from vcn.client.auth import ApiKeyAuth, Auth, IamAuth, TokenAuth
from vcn.client.client import EventsClient
from vcn.client.connection import EventsConnection, PublishResult, ReconnectPolicy
from vcn.client.endpoints import Endpoints
from vcn.client.errors import (
    ConnectError,
    ConnectionLost,
    EventsError,
    OperationTimeout,
    PublishError,
    SubscribeError,
    UnsubscribeError,
)
from vcn.client.subscription import Subscription, SubscriptionState

__all__ = [
    "ApiKeyAuth",
    "Auth",
    "ConnectError",
    "ConnectionLost",
    "Endpoints",
    "EventsClient",
    "EventsConnection",
    "EventsError",
    "IamAuth",
    "OperationTimeout",
    "PublishError",
    "PublishResult",
    "ReconnectPolicy",
    "SubscribeError",
    "Subscription",
    "SubscriptionState",
    "TokenAuth",
    "UnsubscribeError",
]
