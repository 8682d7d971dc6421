"""Event bus operations: Create, Describe, List, Update and DeleteEventBus, PutPermission and
RemovePermission. Requests reach these handlers already checked against the service model."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.bus_policy import parse_policy, statement, with_statement, without_statement
from vcn.eventbridge.errors import EventBridgeError, already_exists, validation_error
from vcn.eventbridge.handler_group import ResourceOperations, answers, listing
from vcn.eventbridge.model import EventBus
from vcn.eventbridge.operations import UNSUPPORTED

_SETTINGS = (
    ("Description", "description"),
    ("KmsKeyIdentifier", "kms_key_identifier"),
    ("DeadLetterConfig", "dead_letter_config"),
    ("LogConfig", "log_config"),
)


class EventBusOperations(ResourceOperations):
    """Event buses, their settings and their resource policy."""

    @answers("CreateEventBus")
    def create(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if request.get("EventSourceName") is not None:
            raise EventBridgeError(
                UNSUPPORTED,
                "The local EventBridge does not support partner event buses (EventSourceName): partner "
                "event sources belong to SaaS partners' AWS accounts. Create the bus without it.",
            )
        if name in self.resources.buses:
            raise already_exists(f"Event bus {name} already exists.")
        bus = self.resources.add_bus(name)
        _apply_settings(bus, request)
        bus.tags.update((tag["Key"], tag["Value"]) for tag in request.get("Tags") or [])
        return {"EventBusArn": bus.arn, **bus.settings()}

    @answers("DescribeEventBus")
    def describe(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.resources.bus(request.get("Name")).describe()

    list = listing("ListEventBuses", lambda resources: resources.buses, EventBus.describe)

    @answers("UpdateEventBus")
    def update(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self.resources.bus(request.get("Name"))
        _apply_settings(bus, request)
        bus.modified = time.time()
        return {"Arn": bus.arn, "Name": bus.name, **bus.settings()}

    @answers("DeleteEventBus")
    def delete(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if name == arns.DEFAULT_BUS:
            raise validation_error("Cannot delete event bus default.")
        bus = self.resources.buses.get(name)
        if bus is None:
            return {}
        if bus.rules:
            # UNCONFIRMED: AWS's wording; its documentation says a bus's rules must be deleted first.
            raise validation_error(
                f"Event bus {name} still has rules ({', '.join(sorted(bus.rules))}); delete them first "
                "(RemoveTargets, then DeleteRule)."
            )
        del self.resources.buses[name]
        return {}

    @answers("PutPermission")
    def put_permission(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self.resources.bus(request.get("EventBusName"))
        policy = request.get("Policy")
        if policy is not None:
            bus.policy = parse_policy(policy)
        else:
            bus.policy = with_statement(bus.policy, statement(bus.arn, request))
        bus.modified = time.time()
        return {}

    @answers("RemovePermission")
    def remove_permission(self, request: Mapping[str, Any]) -> dict[str, Any]:
        bus = self.resources.bus(request.get("EventBusName"))
        if request.get("RemoveAllPermissions"):
            bus.policy = None
        elif request.get("StatementId") is not None:
            bus.policy = without_statement(bus.policy, request["StatementId"])
        else:
            # UNCONFIRMED: AWS's wording.
            raise validation_error("Give a StatementId to remove, or RemoveAllPermissions true.")
        bus.modified = time.time()
        return {}


def _apply_settings(bus: EventBus, request: Mapping[str, Any]) -> None:
    for member, attribute in _SETTINGS:
        if request.get(member) is not None:
            setattr(bus, attribute, request[member])
