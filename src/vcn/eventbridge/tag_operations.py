"""Tag operations: TagResource, UntagResource and ListTagsForResource, on event buses and rules (the
EventBridge resources AWS lets you tag)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.errors import not_found, validation_error
from vcn.eventbridge.handler_group import ResourceOperations, answers
from vcn.eventbridge.model import Tags, tag_list


class TagOperations(ResourceOperations):
    """Tags of buses and rules, by ARN."""

    @answers("TagResource")
    def tag(self, request: Mapping[str, Any]) -> dict[str, Any]:
        tags = self._tags_of(request["ResourceARN"])
        tags.update((tag["Key"], tag["Value"]) for tag in request["Tags"])
        return {}

    @answers("UntagResource")
    def untag(self, request: Mapping[str, Any]) -> dict[str, Any]:
        tags = self._tags_of(request["ResourceARN"])
        for key in request["TagKeys"]:
            tags.pop(key, None)
        return {}

    @answers("ListTagsForResource")
    def list(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return {"Tags": tag_list(self._tags_of(request["ResourceARN"]))}

    def _tags_of(self, arn: str) -> Tags:
        """The tags of the event bus or rule `arn` names: ValidationException for a malformed ARN or one of
        a resource that cannot be tagged, ResourceNotFoundException for a well-formed ARN of nothing."""
        try:
            parsed = arns.Arn.parse(arn)
        except ValueError:
            parsed = None
        if parsed is None or parsed.service != "events" or "/" not in parsed.resource:
            # UNCONFIRMED: AWS's wording for a malformed ResourceARN (its code is ValidationException).
            raise validation_error(
                "Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format."
            )
        kind = parsed.resource.split("/", 1)[0]
        if kind not in ("event-bus", "rule"):
            # UNCONFIRMED: AWS's wording; only event buses and rules take tags.
            raise validation_error(
                f"Parameter ResourceARN is not valid. Reason: {kind} resources cannot be tagged; "
                "EventBridge tags event buses and rules."
            )
        ours = parsed.account == self.resources.account and parsed.region == self.resources.region
        if kind == "event-bus":
            name = parsed.resource.removeprefix("event-bus/")
            bus = self.resources.buses.get(name) if ours else None
            if bus is None:
                raise not_found(f"Event bus {name} does not exist.")
            return bus.tags
        bus_name, rule_name = arns.parse_rule_arn(arn)
        rule = (
            self.resources.buses[bus_name].rules.get(rule_name) if bus_name in self.resources.buses else None
        )
        if rule is None or not ours:
            raise not_found(f"Rule {rule_name} does not exist on EventBus {bus_name}.")
        return rule.tags
