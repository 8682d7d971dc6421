"""The AppSync Events client, re-exported: it lives in `functions/appsync_events_client` because the
configuration API's Lambda package (CodeUri: functions/) needs it too; see that package's docstring.

`vcn.client.<module>` names the same module objects as `appsync_events_client.<module>`.
"""

import importlib
import sys

from appsync_events_client import (
    ApiKeyAuth,
    Auth,
    ConnectError,
    ConnectionLost,
    Endpoints,
    EventsClient,
    EventsConnection,
    EventsError,
    IamAuth,
    OperationTimeout,
    PublishError,
    PublishResult,
    ReconnectPolicy,
    SubscribeError,
    Subscription,
    SubscriptionState,
    TokenAuth,
    UnsubscribeError,
)

# Same module objects under both names, so `vcn.client.auth` imports and patches reach the real code.
for _name in ("auth", "client", "connection", "endpoints", "errors", "http", "subscription"):
    _module = importlib.import_module(f"appsync_events_client.{_name}")
    sys.modules[f"{__name__}.{_name}"] = _module
    globals()[_name] = _module  # `import vcn.client.auth` then `vcn.client.auth.x`, as for a real subpackage

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
