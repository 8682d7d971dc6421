"""The control plane of the local EventBridge: the resources of one account and Region, the operations that
manage them (one handler group per resource kind, registered in the operation table), what delivery asks of
them, and saving them after every change (`resource_persistence`: what comes back at start, and why)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vcn import arns
from vcn.eventbridge.api_destination_operations import ApiDestinationOperations
from vcn.eventbridge.archive_operations import ArchiveOperations
from vcn.eventbridge.archive_store import ArchiveStore
from vcn.eventbridge.archives import ArchiveLedger
from vcn.eventbridge.bus_operations import EventBusOperations
from vcn.eventbridge.connection_operations import (
    ConnectionAuthorization,
    ConnectionOperations,
)
from vcn.eventbridge.model import ApiDestination, Connection, EventBus, LambdaTarget, Rule, Target
from vcn.eventbridge.operations import Operation
from vcn.eventbridge.replay_operations import ReplayOperations
from vcn.eventbridge.replays import Replayer, ReplayRoute, interrupted
from vcn.eventbridge.resource_persistence import ResourcePersistence
from vcn.eventbridge.resource_store import ResourceStore
from vcn.eventbridge.resources import Resources
from vcn.eventbridge.rule_operations import RuleOperations, compile_event_pattern
from vcn.eventbridge.settings import EventBridgeSettings
from vcn.eventbridge.tag_operations import TagOperations
from vcn.eventbridge.target_operations import TargetOperations, is_lambda_or

__all__ = ["ControlPlane", "Operation", "compile_event_pattern"]

_READ_ONLY = ("Describe", "List")


class ControlPlane:
    """The resources of one account and Region, and the API operations that manage them."""

    def __init__(
        self,
        account: str,
        region: str,
        settings: EventBridgeSettings,
        *,
        state_dir: Path | None = None,
        authorization: ConnectionAuthorization | None = None,
        replay_route: ReplayRoute | None = None,
        pending_deliveries: Callable[[], int] = lambda: 0,
    ) -> None:
        self.account = account
        self.region = region
        self.settings = settings
        self.resources = Resources(account, region, settings)
        self.persistence = ResourcePersistence(
            self.resources, ResourceStore(state_dir) if state_dir is not None else None, authorization
        )
        resources = self.resources
        self.archives = ArchiveLedger(resources.archives, ArchiveStore(state_dir))
        self.replayer = Replayer(
            self.archives.store,
            resources.archives,
            replay_route or _no_routing,
            self.persistence.save,
            pending_deliveries,
        )
        groups = (
            EventBusOperations(resources),
            RuleOperations(resources),
            TargetOperations(resources, is_lambda_or(self.api_destination_for)),
            ConnectionOperations(resources, authorization),
            ApiDestinationOperations(resources),
            TagOperations(resources),
            ArchiveOperations(resources, self.archives),
            ReplayOperations(resources, self.replayer),
        )
        # Called after every change (and after restore): e.g. the scheduled rules follow the rules.
        self.listeners: list[Callable[[], None]] = []
        self._handlers = {
            name: self._saving(name, handler)
            for group in groups
            for name, handler in group.handlers().items()
        }

    def operations(self) -> dict[str, Operation]:
        return dict(self._handlers)

    # --- what delivery and the local cloud ask ------------------------------------------------------------

    def bus(self, name_or_arn: str | None) -> EventBus | None:
        return self.resources.find_bus(name_or_arn)

    def bus_names(self) -> list[str]:
        return sorted(self.resources.buses)

    def target(self, rule_arn: str, target_id: str) -> tuple[Rule, Target] | None:
        """The rule an ARN names and one of its targets, if both exist now."""
        try:
            bus_name, rule_name = arns.parse_rule_arn(rule_arn)
        except ValueError:
            return None
        bus = self.resources.buses.get(bus_name)
        rule = bus.rules.get(rule_name) if bus else None
        target = rule.targets.get(target_id) if rule else None
        return (rule, target) if rule is not None and target is not None else None

    def lambda_targets(self) -> list[LambdaTarget]:
        """Every rule target that is a Lambda function: buses, rules and targets in creation order."""
        return [
            LambdaTarget(rule.arn, target.id, target.arn)
            for bus in self.resources.buses.values()
            for rule in bus.rules.values()
            for target in rule.targets.values()
            if arns.is_lambda_function(target.arn)
        ]

    def api_destination_for(self, arn: str) -> tuple[ApiDestination, Connection] | None:
        name = arns.resource_name(arn, "api-destination")
        destination = self.resources.api_destinations.get(name) if name else None
        if destination is None:
            return None
        connection_name = arns.resource_name(destination.connection_arn, "connection") or ""
        connection = self.resources.connections.get(connection_name)
        return (destination, connection) if connection else None

    # --- persistence (`resource_persistence`) -------------------------------------------------------------

    def restore(self) -> None:
        """Bring back what was created through the API before the last stop; from now on every change is
        saved. Runs once, after the template's resources exist."""
        self.persistence.restore()
        interrupted(self.resources.replays)  # those the last stop cut short
        self.archives.forget_undeclared()
        self.archives.expire()
        self.persistence.save()
        self._changed()

    def snapshot(self) -> dict[str, Any]:
        return self.persistence.snapshot()

    def _saving(self, operation: str, handler: Operation) -> Operation:
        if operation.startswith(_READ_ONLY):
            return handler

        def run(request: Mapping[str, Any]) -> dict[str, Any]:
            response = handler(request)
            self.persistence.save()
            self._changed()
            return response

        return run

    async def stop(self) -> None:
        """Cut running replays short (they end FAILED, saying from when to replay again)."""
        await self.replayer.stop(self.resources.replays)

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()


def _no_routing(bus: str, event: dict[str, Any], rule_arns: frozenset[str]) -> bool:
    raise RuntimeError("this control plane routes no events (replays run inside EventBridgeService)")
