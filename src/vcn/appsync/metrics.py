"""What an Event API counts, under AWS/AppSync's metric names (dimension `ApiId`).

Connects, subscribes and publishes are counted where the Event API decides them (`vcn.appsync.api`); the
server adds the messages it fanned out and the connections open now (`AppSyncEventsServer.activity`). An
error with a status below 500 is the client's (`...ClientError`), one of 500 or more the server's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

CONNECT_REQUESTS = "ConnectRequests"
CONNECT_SUCCESS = "ConnectSuccess"
CONNECT_CLIENT_ERROR = "ConnectClientError"
CONNECT_SERVER_ERROR = "ConnectServerError"
SUBSCRIBE_SUCCESS = "SubscribeSuccess"
SUBSCRIBE_CLIENT_ERROR = "SubscribeClientError"
SUBSCRIBE_SERVER_ERROR = "SubscribeServerError"
PUBLISH_EVENTS_SUCCESS = "PublishEventsSuccess"
PUBLISH_EVENTS_CLIENT_ERROR = "PublishEventsClientError"
PUBLISH_EVENTS_SERVER_ERROR = "PublishEventsServerError"
OUTBOUND_MESSAGES = "OutboundMessages"
ACTIVE_CONNECTIONS = "ActiveConnections"


@dataclass
class OperationCounts:
    """Cumulative counts of one Event API's operations."""

    connect_requests: int = 0
    connect_success: int = 0
    connect_client_error: int = 0
    connect_server_error: int = 0
    subscribe_success: int = 0
    subscribe_client_error: int = 0
    subscribe_server_error: int = 0
    publish_events_success: int = 0  # events, not publish requests
    publish_events_client_error: int = 0
    publish_events_server_error: int = 0

    def refused(self, operation: str, status: int, amount: int = 1) -> None:
        """Count a refused `connect`, `subscribe` or `publish_events`: the client's error below status 500."""
        name = f"{operation}_{'client' if status < 500 else 'server'}_error"
        setattr(self, name, getattr(self, name) + amount)

    def totals(self) -> dict[str, int]:
        """The counts under their AWS/AppSync names (`connect_requests` -> `ConnectRequests`)."""
        return {
            "".join(part.capitalize() for part in field.name.split("_")): getattr(self, field.name)
            for field in fields(self)
        }


@dataclass(frozen=True)
class ApiActivity:
    """An Event API's metrics now: cumulative counts, and the connections open at this moment."""

    api_id: str
    counts: dict[str, int]
    active_connections: int
