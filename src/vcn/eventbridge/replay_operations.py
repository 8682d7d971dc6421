"""Replay operations: StartReplay, DescribeReplay, ListReplays and CancelReplay.

StartReplay checks the whole request before anything starts: the window (EventEndTime after
EventStartTime), the archive, the destination (the archive's own bus: AWS does not replay across buses), the
FilterArns (rules of that bus), a free name and the number of replays running at once (AWS: 10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vcn import arns
from vcn.eventbridge.archives import Archive
from vcn.eventbridge.errors import (
    EventBridgeError,
    already_exists,
    limit_exceeded,
    not_found,
    validation_error,
)
from vcn.eventbridge.handler_group import ResourceOperations, answers, listing
from vcn.eventbridge.replays import ACTIVE, CANCELLING, RUNNING, STARTING, Replay, Replayer
from vcn.eventbridge.resources import Resources

MAX_ACTIVE_REPLAYS = 10


class ReplayOperations(ResourceOperations):
    def __init__(self, resources: Resources, replayer: Replayer) -> None:
        super().__init__(resources)
        self.replayer = replayer

    @answers("StartReplay")
    def start(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["ReplayName"]
        start, end = float(request["EventStartTime"]), float(request["EventEndTime"])
        if end <= start:
            # UNCONFIRMED: AWS's wording.
            raise validation_error(
                "Parameter EventEndTime is not valid. Reason: EventEndTime must be after EventStartTime."
            )
        archive = self._archive(request["EventSourceArn"])
        destination = dict(request["Destination"])
        if arns.bus_name(destination["Arn"]) != archive.bus:
            raise validation_error(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
        self._check_rules(destination.get("FilterArns") or [], archive.bus)
        if name in self.resources.replays:
            raise already_exists(f"Replay {name} already exists.")
        if sum(replay.state in ACTIVE for replay in self.resources.replays.values()) >= MAX_ACTIVE_REPLAYS:
            raise limit_exceeded(
                f"{MAX_ACTIVE_REPLAYS} replays are running; wait for one to finish, or cancel one."
            )
        replay = Replay(
            name=name,
            arn=self.resources.arn("replay", name),
            description=request.get("Description"),
            archive_arn=archive.arn,
            archive_name=archive.name,
            event_start=start,
            event_end=end,
            destination=destination,
        )
        self.resources.replays[name] = replay
        self.replayer.start(replay)
        return {"ReplayArn": replay.arn, "State": replay.state, "ReplayStartTime": replay.replay_start}

    @answers("DescribeReplay")
    def describe(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.resources.replay(request["ReplayName"]).describe()

    list = listing(
        "ListReplays",
        lambda resources: resources.replays,
        Replay.describe,
        state="State",
        archive_arn="EventSourceArn",
    )

    @answers("CancelReplay")
    def cancel(self, request: Mapping[str, Any]) -> dict[str, Any]:
        replay = self.resources.replay(request["ReplayName"])
        if replay.state not in (STARTING, RUNNING):
            # UNCONFIRMED: AWS's wording (its model: only a Running or Starting replay can be cancelled).
            raise EventBridgeError(
                "IllegalStatusException",
                f"Replay {replay.name} is {replay.state}: only a STARTING or RUNNING one can be cancelled.",
            )
        replay.state = CANCELLING
        return {"ReplayArn": replay.arn, "State": replay.state}

    def _archive(self, arn: str) -> Archive:
        name = arns.resource_name(arn, "archive")
        archive = self.resources.archives.get(name or "")
        if archive is None or archive.arn != arn:
            raise not_found(f"Archive {name or arn} does not exist.")
        return archive

    def _check_rules(self, rule_arns: Sequence[str], bus_name: str) -> None:
        bus = self.resources.bus(bus_name)
        for arn in rule_arns:
            try:
                rule_bus, rule_name = arns.parse_rule_arn(arn)
            except ValueError:
                rule_bus, rule_name = "", ""
            if rule_bus != bus_name:
                raise validation_error(
                    f"Parameter Destination.FilterArns is not valid. Reason: {arn} is not a rule of "
                    f"event bus {bus_name}."
                )
            if rule_name not in bus.rules:
                raise not_found(f"Rule {rule_name} does not exist on EventBus {bus_name}.")
