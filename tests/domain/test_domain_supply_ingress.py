"""The supply ingress admits a supply system's event only as the canonical event, and names every refusal.

What it refuses is exactly what no EventBridge pattern can keep out of a publish body (a control character,
a list of valid values in place of one) and what the guards could (a missing field, a quote, a backslash, a
wrong type): all with a reason naming the field.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vehicle_config.events import SUPPLY_FIELD_RULES
from vehicle_config.notifications import CHECKED_SUPPLY_SOURCE, NOTIFICATIONS, SUPPLY_SOURCE
from vehicle_config.supply_ingress import Admitted, Refused, admit, admit_event

VALID: dict[str, Any] = {
    "constraintId": "sc-2026-11-0193",
    "plant": "ZWI",
    "partNumber": "BAT-MOD-86KWH-7731",
    "severity": "HIGH",
    "affectedConfigurations": ["cfg-nova-fr-0101", "cfg-nova-de-0017"],
    "priority": "URGENT",
}
MISSING = object()


def refused(detail: dict[str, Any], detail_type: str = "SupplyConstraintRaised") -> tuple[str, ...]:
    outcome = admit(SUPPLY_SOURCE, detail_type, detail)
    assert isinstance(outcome, Refused), outcome
    return outcome.reasons


def changed(field: str, value: Any) -> dict[str, Any]:
    detail = dict(VALID)
    if value is MISSING:
        del detail[field]
    else:
        detail[field] = value
    return detail


@pytest.mark.parametrize("detail_type", ["SupplyConstraintRaised", "SupplyConstraintCleared"])
def test_a_valid_supply_event_is_admitted_as_the_canonical_checked_event(detail_type: str) -> None:
    outcome = admit(SUPPLY_SOURCE, detail_type, VALID)
    assert isinstance(outcome, Admitted)
    event = outcome.event
    assert (event.source, event.detail_type) == (CHECKED_SUPPLY_SOURCE, detail_type)
    assert event.detail == VALID
    assert tuple(event.detail) == NOTIFICATIONS[detail_type].detail_fields  # the declared order


def test_the_canonical_event_is_rebuilt_not_passed_through() -> None:
    reordered = dict(reversed(list(VALID.items())))
    outcome = admit_event(
        {"source": SUPPLY_SOURCE, "detail-type": "SupplyConstraintCleared", "detail": reordered}
    )
    assert isinstance(outcome, Admitted)
    assert list(outcome.event.detail) == list(VALID)
    assert outcome.event.detail is not reordered


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        # no event pattern within EventBridge's quotas can refuse these
        ("constraintId", "sc-\u0000-1", "detail.constraintId"),
        ("partNumber", "BAT\nMOD", "detail.partNumber"),
        ("severity", "HIGH\t", "detail.severity"),
        ("plant", "ZW\u001fI", "detail.plant"),
        ("constraintId", ["sc-1"], "detail.constraintId"),
        ("plant", ["ZWI", "WOB"], "detail.plant"),
        ("priority", ["URGENT"], "detail.priority"),
        # missing fields
        ("constraintId", MISSING, "detail.constraintId"),
        ("affectedConfigurations", MISSING, "detail.affectedConfigurations"),
        ("priority", MISSING, "detail.priority"),
        # wrong types
        ("partNumber", 7731, "detail.partNumber"),
        ("plant", None, "detail.plant"),
        ("affectedConfigurations", "cfg-1", "detail.affectedConfigurations"),
        ("affectedConfigurations", {"id": "cfg-1"}, "detail.affectedConfigurations"),
        ("severity", True, "detail.severity"),
        # characters that end or escape the JSON string a value is spliced into
        ("partNumber", 'BAT "86" MOD', "detail.partNumber"),
        ("constraintId", "sc\\1", "detail.constraintId"),
        ("affectedConfigurations", ["cfg-1", 'cfg"2'], "detail.affectedConfigurations[1]"),
        # a channel segment must stay one segment; an enum one of its values
        ("plant", "ZWI/../WOB", "detail.plant"),
        ("severity", "SEVERE", "detail.severity"),
        ("constraintId", "", "detail.constraintId"),
    ],
)
def test_each_breaking_value_is_refused_with_a_reason_naming_the_field(
    field: str, value: Any, named: str
) -> None:
    reasons = refused(changed(field, value))
    assert [reason for reason in reasons if reason.startswith(f"{named}: ")], reasons


def test_every_problem_is_named_not_just_the_first() -> None:
    detail = changed("plant", ["ZWI"]) | {"partNumber": "A\u0000B", "extra": 1}
    del detail["priority"]
    fields = {reason.split(":")[0] for reason in refused(detail)}
    assert fields == {"detail.plant", "detail.partNumber", "detail.priority", "detail.extra"}


@pytest.mark.parametrize(
    ("source", "detail_type", "detail", "named"),
    [
        (CHECKED_SUPPLY_SOURCE, "SupplyConstraintRaised", VALID, "source"),
        (SUPPLY_SOURCE, "SupplyConstraintExpired", VALID, "detail-type"),
        (SUPPLY_SOURCE, ["SupplyConstraintRaised"], VALID, "detail-type"),
        (SUPPLY_SOURCE, "SupplyConstraintRaised", ["not", "an", "object"], "detail"),
    ],
)
def test_the_envelope_is_checked_too(source: Any, detail_type: Any, detail: Any, named: str) -> None:
    outcome = admit(source, detail_type, detail)
    assert isinstance(outcome, Refused)
    assert outcome.reasons[0].startswith(f"{named}: ")


CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F)


@settings(max_examples=200, deadline=None)
@given(
    field=st.sampled_from([f for f in SUPPLY_FIELD_RULES if f != "affectedConfigurations"]),
    prefix=st.text(alphabet="ABC-1", max_size=5),
    control=CONTROL,
)
def test_no_control_character_is_ever_admitted(field: str, prefix: str, control: str) -> None:
    reasons = refused(changed(field, f"{prefix}{control}"))
    assert any(reason.startswith(f"detail.{field}: ") for reason in reasons)
