"""Handler groups (vcn.eventbridge.handler_group): the operations a group answers are its marked methods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from vcn.aws_account import LOCAL_ACCOUNT
from vcn.eventbridge.handler_group import ResourceOperations, answers
from vcn.eventbridge.resources import Resources
from vcn.eventbridge.settings import EventBridgeSettings


def resources() -> Resources:
    return Resources(LOCAL_ACCOUNT.account_id, LOCAL_ACCOUNT.region, EventBridgeSettings())


class Widgets(ResourceOperations):
    @answers("CreateWidget")
    def create(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return {"Created": request["Name"], "In": self.resources.region}

    @answers("ListWidgets")
    def list(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return {"Widgets": []}

    def helper(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return {}


def test_handlers_are_the_marked_methods_bound_to_the_group() -> None:
    group = Widgets(resources())
    handlers = group.handlers()
    assert sorted(handlers) == ["CreateWidget", "ListWidgets"]
    assert handlers["CreateWidget"]({"Name": "w"}) == {"Created": "w", "In": LOCAL_ACCOUNT.region}


def test_a_group_answering_one_operation_twice_is_refused() -> None:
    class Twice(ResourceOperations):
        @answers("CreateWidget")
        def create(self, request: Mapping[str, Any]) -> dict[str, Any]:
            return {}

        @answers("CreateWidget")
        def make(self, request: Mapping[str, Any]) -> dict[str, Any]:
            return {}

    with pytest.raises(TypeError, match="Twice answers CreateWidget twice"):
        Twice(resources()).handlers()
