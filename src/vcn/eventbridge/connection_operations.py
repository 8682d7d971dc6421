"""Connection operations: Create, Describe, List, Update, Delete and DeauthorizeConnection.

An API key or Basic connection is AUTHORIZED at once. An OAuth connection starts AUTHORIZING, as in AWS, and
becomes AUTHORIZED when its token endpoint issues a token (asked right away, and again by deliveries), or
DEAUTHORIZED with the reason when it refuses. DeauthorizeConnection removes the secret; deliveries through the
connection then fail until UpdateConnection brings a new one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

from vcn.eventbridge.arns import connection_secret_arn
from vcn.eventbridge.connections import (
    OAUTH,
    check_auth_parameters,
    connection_summary,
    describe_connection,
    merged_auth_parameters,
    without_secret,
)
from vcn.eventbridge.errors import already_exists
from vcn.eventbridge.handler_group import ResourceOperations, answers, listing
from vcn.eventbridge.model import AUTHORIZED, AUTHORIZING, DEAUTHORIZED, DEAUTHORIZING, DELETING, Connection
from vcn.eventbridge.request_validation import check_value
from vcn.eventbridge.resources import Resources
from vcn.eventbridge.service_model import events_model

log = logging.getLogger("vcn.eventbridge")


class ConnectionAuthorization(Protocol):
    """Who fetches OAuth tokens for connections (the API destination client)."""

    def authorize_soon(self, connection: Connection) -> None:
        """Ask for a token in the background; the connection's state follows the answer."""
        ...

    def forget(self, connection: Connection) -> None:
        """Drop any token cached for the connection (its credentials changed or are gone)."""
        ...


class ConnectionOperations(ResourceOperations):
    def __init__(self, resources: Resources, authorization: ConnectionAuthorization | None) -> None:
        super().__init__(resources)
        self.authorization = authorization

    @answers("CreateConnection")
    def create(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if name in self.resources.connections:
            raise already_exists(f"Connection {name} already exists.")
        authorization_type = request["AuthorizationType"]
        auth = merged_auth_parameters({}, authorization_type, request["AuthParameters"])
        check_auth_parameters(authorization_type, auth)
        now = time.time()
        connection = Connection(
            name=name,
            arn=self.resources.mint_arn("connection", name),
            authorization_type=authorization_type,
            auth_parameters=auth,
            description=request.get("Description"),
            secret_arn=connection_secret_arn(self.resources.region, self.resources.account, name),
            created=now,
            modified=now,
            kms_key_identifier=request.get("KmsKeyIdentifier"),
            connectivity=request.get("InvocationConnectivityParameters"),
        )
        self._note_connectivity(connection)
        self.resources.connections[name] = connection
        self._authorize(connection, now)
        return connection_summary(connection)

    @answers("DescribeConnection")
    def describe(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return describe_connection(self.resources.connection(request["Name"]))

    list = listing(
        "ListConnections",
        lambda resources: resources.connections,
        describe_connection,
        state="ConnectionState",
    )

    @answers("UpdateConnection")
    def update(self, request: Mapping[str, Any]) -> dict[str, Any]:
        connection = self.resources.connection(request["Name"])
        authorization_type = request.get("AuthorizationType") or connection.authorization_type
        new_credentials = "AuthParameters" in request or authorization_type != connection.authorization_type
        if new_credentials:
            auth = merged_auth_parameters(
                connection.auth_parameters, authorization_type, request.get("AuthParameters") or {}
            )
            # The merged parameters must be complete, as CreateConnection's would be.
            check_value(
                events_model().shape_for("CreateConnectionAuthRequestParameters"), auth, "authParameters"
            )
            check_auth_parameters(authorization_type, auth)
            connection.authorization_type = authorization_type
            connection.auth_parameters = auth
            connection.credentials_removed = False
        for member, attribute in (
            ("Description", "description"),
            ("KmsKeyIdentifier", "kms_key_identifier"),
            ("InvocationConnectivityParameters", "connectivity"),
        ):
            if request.get(member) is not None:
                setattr(connection, attribute, request[member])
        self._note_connectivity(connection)
        connection.modified = time.time()
        if new_credentials:
            self._authorize(connection, connection.modified)
        return connection_summary(connection)

    @answers("DeleteConnection")
    def delete(self, request: Mapping[str, Any]) -> dict[str, Any]:
        connection = self.resources.connection(request["Name"])
        users = sorted(
            name
            for name, destination in self.resources.api_destinations.items()
            if destination.connection_arn == connection.arn
        )
        if users:
            log.warning(
                "connection %s deleted while API destinations %s use it: deliveries through them will "
                "fail until they name another connection (UpdateApiDestination)",
                connection.name,
                ", ".join(users),
            )
        del self.resources.connections[connection.name]
        if self.authorization is not None:
            self.authorization.forget(connection)
        return connection_summary(connection, DELETING)

    @answers("DeauthorizeConnection")
    def deauthorize(self, request: Mapping[str, Any]) -> dict[str, Any]:
        connection = self.resources.connection(request["Name"])
        connection.auth_parameters = without_secret(connection.authorization_type, connection.auth_parameters)
        connection.credentials_removed = True
        connection.state, connection.state_reason = DEAUTHORIZED, None
        connection.modified = time.time()
        if self.authorization is not None:
            self.authorization.forget(connection)
        return connection_summary(connection, DEAUTHORIZING)

    def _authorize(self, connection: Connection, now: float) -> None:
        """API key and Basic credentials are used as given; an OAuth connection waits for its token."""
        if connection.authorization_type != OAUTH:
            connection.authorized(now)
            return
        connection.state, connection.state_reason, connection.last_authorized = AUTHORIZING, None, None
        if self.authorization is not None:
            self.authorization.forget(connection)
            self.authorization.authorize_soon(connection)

    @staticmethod
    def _note_connectivity(connection: Connection) -> None:
        if connection.connectivity is not None:
            log.info(
                "connection %s: InvocationConnectivityParameters (private APIs over VPC Lattice) are stored "
                "and described; the local EventBridge calls the endpoint directly",
                connection.name,
            )


def restored_state(connection: Connection) -> None:
    """After a restart nothing is cached: an OAuth connection authorizes again; deauthorized stays so."""
    if connection.credentials_removed:
        connection.state = DEAUTHORIZED
    elif connection.authorization_type == OAUTH:
        connection.state, connection.state_reason, connection.last_authorized = AUTHORIZING, None, None
    else:
        connection.state = AUTHORIZED
