"""Target operations: PutTargets, RemoveTargets and ListTargetsByRule."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from typing import Any

from vcn import arns
from vcn.eventbridge.errors import limit_exceeded
from vcn.eventbridge.handler_group import ResourceOperations, answers
from vcn.eventbridge.pagination import page
from vcn.eventbridge.resources import Resources
from vcn.eventbridge.targets import parse_target

log = logging.getLogger("vcn.eventbridge")

# What the service answers for a sixth target on a rule.
TOO_MANY_TARGETS = "The requested resource exceeds the maximum number allowed."


class TargetOperations(ResourceOperations):
    def __init__(self, resources: Resources, is_known_target: Callable[[str], bool]) -> None:
        super().__init__(resources)
        self.is_known_target = is_known_target

    @answers("PutTargets")
    def put(self, request: Mapping[str, Any]) -> dict[str, Any]:
        _, rule = self.resources.rule(request.get("EventBusName"), request["Rule"])
        # Every target is checked before any is added: a request changes all or nothing.
        targets = [parse_target(copy.deepcopy(entry)) for entry in request["Targets"]]
        ids = set(rule.targets) | {target.id for target in targets}
        if len(ids) > self.resources.settings.max_targets_per_rule:
            raise limit_exceeded(TOO_MANY_TARGETS)
        for target in targets:
            if not self.is_known_target(target.arn):
                log.warning(
                    "rule %s target %s: %s is neither a Lambda function, an SQS queue nor a known API "
                    "destination; deliveries to it will fail locally",
                    rule.arn,
                    target.id,
                    target.arn,
                )
            rule.targets[target.id] = target
        return {"FailedEntryCount": 0, "FailedEntries": []}

    @answers("RemoveTargets")
    def remove(self, request: Mapping[str, Any]) -> dict[str, Any]:
        _, rule = self.resources.rule(request.get("EventBusName"), request["Rule"])
        for target_id in request["Ids"]:
            rule.targets.pop(target_id, None)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    @answers("ListTargetsByRule")
    def list(self, request: Mapping[str, Any]) -> dict[str, Any]:
        _, rule = self.resources.rule(request.get("EventBusName"), request["Rule"])
        chosen, more = page(list(rule.targets.values()), request, lambda target: target.id)
        return {"Targets": [dict(target.spec) for target in chosen], **more}


def is_lambda_or(api_destination: Callable[[str], object]) -> Callable[[str], bool]:
    """A target check: a Lambda function or SQS queue ARN, or an ARN `api_destination` finds."""
    return lambda arn: (
        arns.is_lambda_function(arn) or arns.is_sqs_queue(arn) or api_destination(arn) is not None
    )
