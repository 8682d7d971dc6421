"""Asyncio client for AppSync Events (AWS or the local cloud): subscribe, publish over WebSocket and HTTP.

Public API: `EventsClient`, the auth strategies `ApiKeyAuth` / `TokenAuth` / `IamAuth`, `EventsConnection`,
`Subscription` (optionally deduplicating by a key: `Deduplicator`), `PublishResult`, `ReconnectPolicy` and
the typed errors (all carry `error_type`/`message`).
Recovery (`subscribe_with_recovery`, `RecoveringSubscription`, `Since`) fills what a subscriber missed while
disconnected from a `HistorySource` (`HttpHistorySource` reads a history HTTP API with a bearer token).

It lives in functions/ so Lambda functions ship it (the configuration API waits for replies with it); the
local cloud's CLI and tests import the same package. Runtime dependencies:
aiohttp, websockets and botocore (packaging/requirements/configuration-api.in pins the first two for the
function that ships it; Lambda has botocore). Recovery and the HTTP history source need nothing more.
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
from .history import HistoryError, HistoryPage, HistoryQuery, HistorySource, HttpHistorySource
from .recovery import RecoveringSubscription, RecoveryReport, Since, subscribe_with_recovery
from .subscription import Resubscribed, Subscription, SubscriptionState

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
    "HistoryError",
    "HistoryPage",
    "HistoryQuery",
    "HistorySource",
    "HttpHistorySource",
    "IamAuth",
    "OperationTimeout",
    "PublishError",
    "PublishResult",
    "ReconnectPolicy",
    "RecoveringSubscription",
    "RecoveryReport",
    "Resubscribed",
    "Since",
    "SubscribeError",
    "Subscription",
    "SubscriptionState",
    "TokenAuth",
    "UnsubscribeError",
    "subscribe_with_recovery",
]
