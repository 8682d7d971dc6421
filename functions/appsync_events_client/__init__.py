"""Asyncio client for AppSync Events (AWS or the local cloud): subscribe, publish over WebSocket and HTTP.

Public API: `EventsClient`, the auth strategies `ApiKeyAuth` / `TokenAuth` / `IamAuth`, `EventsConnection`,
`Subscription` (optionally deduplicating by a key: `Deduplicator`), `PublishResult`, `ReconnectPolicy` and
the typed errors (all carry `error_type`/`message`).

It lives in functions/ so Lambda functions ship it (the configuration API waits for replies with it); the
local cloud's CLI and tests import the same package. Runtime dependencies:
aiohttp, websockets and botocore (functions/requirements.txt lists the first two; Lambda has botocore).
"""

from .auth import ApiKeyAuth, Auth, IamAuth, TokenAuth
from .client import EventsClient
from .connection import EventsConnection, PublishResult, ReconnectPolicy
from .dedupe import DedupeKey, Deduplicator
from .endpoints import Endpoints
from .errors import (
    ConnectError,
    ConnectionLost,
    EventsError,
    OperationTimeout,
    PublishError,
    SubscribeError,
    UnsubscribeError,
)
from .subscription import Subscription, SubscriptionState

__all__ = [
    "ApiKeyAuth",
    "Auth",
    "ConnectError",
    "ConnectionLost",
    "DedupeKey",
    "Deduplicator",
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
