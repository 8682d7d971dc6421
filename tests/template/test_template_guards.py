"""The notification rules are guarded, and the rejecting rules catch exactly what the guards refuse.

The patterns in template.yaml are held to `vehicle_config.notification_guards` (the declaration derived from
the notification contract), and both are run through the local EventBridge's pattern engine on sample and
mutated events: an event reaches a notification rule only when its InputTransformer renders a valid publish
body, and every event of those detail-types that does not is caught by the rejecting rule.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vehicle_config.notification_guards import (
    COUNT_FIELDS,
    guarded_pattern,
    notification_groups,
    rejected_groups,
    rejected_pattern,
)
from vehicle_config.notifications import CHECKED_SUPPLY_SOURCE, NOTIFICATIONS, REQUEST_ID, SUPPLY_SOURCE
from vehicle_config.supply_ingress import Refused, admit

from tests.template.test_template_input_transformers import SAMPLE_DETAILS, envelope, publish_body
from tests.template.test_template_structure import NOTIFICATION_RULES, REJECTING_RULES
from vcn.eventbridge.patterns import EventPattern, compile_pattern

REJECTED_QUEUE = {"Fn::GetAtt": ["RejectedNotificationQueue", "Arn"]}


def detail_types_of(rule: dict[str, Any]) -> tuple[str, ...]:
    pattern = rule["Properties"]["EventPattern"]
    if "$or" in pattern:
        raise AssertionError("a rule's detail-types are named at the top of its pattern")
    return tuple(pattern["detail-type"])


def spliced_detail_fields(rule: dict[str, Any]) -> set[str]:
    """The detail fields a rule's targets splice, read from their InputPathsMaps."""
    return {
        path.removeprefix("$.detail.")
        for target in rule["Properties"]["Targets"]
        for path in target["InputTransformer"]["InputPathsMap"].values()
        if path.startswith("$.detail.")
    }


INGRESS = "SupplyIngressFunction"  # refuses what supply systems put, into the same rejected queue


def rejecting_rule_for(resources: dict[str, Any], detail_types: tuple[str, ...]) -> str:
    if detail_types not in rejected_groups():
        return INGRESS
    (name,) = [
        name
        for name in REJECTING_RULES
        if tuple(resources[name]["Properties"]["EventPattern"]["detail-type"]) == detail_types
    ]
    return name


def test_each_notification_rule_guards_exactly_the_fields_it_splices(resources: dict[str, Any]) -> None:
    for name in NOTIFICATION_RULES:
        rule = resources[name]
        spliced = spliced_detail_fields(rule)
        expected = guarded_pattern(detail_types_of(rule), with_request_id=REQUEST_ID in spliced)
        assert rule["Properties"]["EventPattern"] == expected, name
        assert set(expected["detail"]) == spliced, name


def test_one_rejecting_rule_per_notification_group_sends_to_the_rejected_queue(
    resources: dict[str, Any],
) -> None:
    groups = rejected_groups()
    assert len(groups) == len(REJECTING_RULES)
    assert len(notification_groups()) == len(groups) + 1  # the supply group: its ingress refuses
    for detail_types in groups:
        rule = resources[rejecting_rule_for(resources, detail_types)]["Properties"]
        assert rule["EventPattern"] == rejected_pattern(detail_types)
        (target,) = rule["Targets"]
        assert target["Arn"] == REJECTED_QUEUE
        template = target["InputTransformer"]["InputTemplate"]
        assert "<aws.events.rule-name>" in template and "<aws.events.event.json>" in template


def test_every_pattern_is_valid_and_within_the_default_size_quota(resources: dict[str, Any]) -> None:
    for name in (*NOTIFICATION_RULES, *REJECTING_RULES):
        pattern = resources[name]["Properties"]["EventPattern"]
        compile_pattern(pattern)  # raises with AWS's message when EventBridge would refuse it
        assert len(json.dumps(pattern)) <= 2048, name  # EventBridge's default quota per pattern


# ---- behaviour, on the local pattern engine


@functools.cache
def compiled(text: str) -> EventPattern:
    return compile_pattern(text)


def routing(resources: dict[str, Any], event: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(notification rules, rejecting rules) whose pattern matches the event; what a supply system put
    goes through the supply ingress first (a refusal is its rejection, the admitted event is routed)."""
    if event["source"] == SUPPLY_SOURCE:
        assert not any(
            compiled(json.dumps(resources[name]["Properties"]["EventPattern"])).matches(event)
            for name in (*NOTIFICATION_RULES, *REJECTING_RULES)
        ), "no notification or rejecting rule may read what a supply system put"
        assert compiled(json.dumps(resources["SupplyIngressRule"]["Properties"]["EventPattern"])).matches(
            event
        )
        outcome = admit(event["source"], event["detail-type"], event["detail"])
        if isinstance(outcome, Refused):
            return [], [INGRESS]
        event = envelope(outcome.event.source, outcome.event.detail_type, dict(outcome.event.detail))
    matched = [
        name
        for name in (*NOTIFICATION_RULES, *REJECTING_RULES)
        if compiled(json.dumps(resources[name]["Properties"]["EventPattern"])).matches(event)
    ]
    return [n for n in matched if n in NOTIFICATION_RULES], [n for n in matched if n in REJECTING_RULES]


def sample_event(detail_type: str, **changes: Any) -> dict[str, Any]:
    detail = copy.deepcopy(SAMPLE_DETAILS[detail_type])
    for field, value in changes.items():
        if value is MISSING:
            detail.pop(field)
        else:
            detail[field] = value
    source = NOTIFICATIONS[detail_type].source
    # a supply system puts supply events; only the supply ingress puts the checked source
    return envelope(SUPPLY_SOURCE if source == CHECKED_SUPPLY_SOURCE else source, detail_type, detail)


MISSING = object()


@pytest.mark.parametrize("detail_type", sorted(NOTIFICATIONS))
def test_catalog_events_reach_their_rules_and_are_not_rejected(
    resources: dict[str, Any], detail_type: str
) -> None:
    notification_rules, rejecting = routing(resources, sample_event(detail_type))
    assert notification_rules and not rejecting


@pytest.mark.parametrize(
    ("detail_type", "changes"),
    [
        ("ConfigurationValidated", {"violationCount": MISSING}),
        ("ConfigurationValidated", {"violationCount": "3"}),
        ("ConfigurationValidated", {"warningCount": None}),
        ("ConfigurationValidated", {"market": 'D"E'}),
        ("ConfigurationValidated", {"submittedBy": "analyst\\de"}),
        ("ConfigurationValidated", {"modelLine": "VELA/../X"}),
        ("ConfigurationValidated", {"requestId": 'req"1'}),
        ("SpecAdjustmentRecommended", {"reasonCode": MISSING}),
        ("SpecAdjustmentRecommended", {"fromOption": 'LED "MATRIX"'}),
        ("SupplyConstraintRaised", {"partNumber": "BAT\\7731"}),
        ("SupplyConstraintCleared", {"plant": MISSING}),
        ("SupplyConstraintCleared", {"priority": MISSING}),
        ("SupplyConstraintRaised", {"constraintId": "sc\u0000"}),
        ("SupplyConstraintRaised", {"constraintId": ["sc-1"]}),
        ("SupplyConstraintRaised", {"severity": ["HIGH", "LOW"]}),
    ],
)
def test_events_that_would_break_the_body_are_rejected_not_half_delivered(
    resources: dict[str, Any], detail_type: str, changes: dict[str, Any]
) -> None:
    event = sample_event(detail_type, **changes)
    notification_rules, rejecting = routing(resources, event)
    assert rejecting == [rejecting_rule_for(resources, _group_of(detail_type))]
    for name in notification_rules:  # a rule that still matches renders a valid body (the reply is refused)
        for target in resources[name]["Properties"]["Targets"]:
            publish_body(target, event)
    if REQUEST_ID not in changes:
        assert not notification_rules


def _group_of(detail_type: str) -> tuple[str, ...]:
    (group,) = [group for group in notification_groups() if detail_type in group]
    return group


SPICY = st.sampled_from(['"', "\\", "/", "ok", "", "-", ":"])
MUTATION = st.one_of(
    st.just(MISSING),
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=5),
    st.lists(SPICY, min_size=1, max_size=3).map("".join),
)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_event_is_either_notified_with_a_valid_body_or_rejected(
    resources: dict[str, Any], data: st.DataObject
) -> None:
    detail_type = data.draw(st.sampled_from(sorted(NOTIFICATIONS)))
    fields = [*SAMPLE_DETAILS[detail_type]]
    changed = data.draw(st.lists(st.sampled_from(fields), max_size=3, unique=True))
    changes = {field: data.draw(MUTATION, label=field) for field in changed}
    event = sample_event(detail_type, **changes)
    notification_rules, rejecting = routing(resources, event)
    main = [name for name in notification_rules if "Reply" not in name]
    for name in notification_rules:
        for target in resources[name]["Properties"]["Targets"]:
            _, notifications = publish_body(target, event)  # valid JSON, or this raises
            for key in COUNT_FIELDS & set(notifications[0]):
                assert isinstance(notifications[0][key], int | float)
    # Exactly one of: the notification went out, or the event is in the rejected queue (a refused
    # requestId may also reject an event whose other notifications went out: the reply could not).
    request_refused = REQUEST_ID in event["detail"] and not any("Reply" in n for n in notification_rules)
    assert bool(rejecting) == (not main or request_refused), (notification_rules, rejecting)
