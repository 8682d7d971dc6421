"""Domain events of the catalog, built with exactly their required detail fields.

The fields of the events that reach clients are declared in `notifications`; builders supply the values.
Every builder checks the fields that travel to clients (scalars, channel segments), so an event that leaves
this module can always be turned into a notification by an InputTransformer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vehicle_config.fields import FieldError, InvalidFields, channel_segment, client_scalar, one_of, shown
from vehicle_config.json_fields import from_json_fields, json_fields
from vehicle_config.model import PRIORITIES, Configuration
from vehicle_config.notifications import (
    CONFIGURATION_VALIDATED,
    NOTIFICATIONS,
    SPEC_ADJUSTMENT_RECOMMENDED,
    SUPPLY_CONSTRAINT_CLEARED,
    SUPPLY_CONSTRAINT_RAISED,
    VALIDATION_SOURCE,
)
from vehicle_config.rules import Recommendation, ValidationResult

VALIDATION_REQUESTED = "ValidationRequested"

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
MAX_AFFECTED_CONFIGURATIONS = 500


@dataclass(frozen=True)
class DomainEvent:
    """A fact for the event bus: `source` and `detail_type` name it, `detail` is its JSON object."""

    source: str
    detail_type: str
    detail: Mapping[str, Any]


def configuration_validated(
    configuration: Configuration, result: ValidationResult, submitted_by: str, request_id: str | None = None
) -> DomainEvent:
    values = {
        "configurationId": configuration.configuration_id,
        "market": configuration.market,
        "modelLine": configuration.model_line,
        "plant": configuration.plant,
        "outcome": result.outcome,
        "violationCount": len(result.violations),
        "warningCount": len(result.warnings),
        "submittedBy": channel_segment("submittedBy", submitted_by),
        "priority": configuration.priority,
    }
    return _notified(CONFIGURATION_VALIDATED, values, request_id)


def spec_adjustment_recommended(
    configuration: Configuration,
    recommendation: Recommendation,
    submitted_by: str,
    request_id: str | None = None,
) -> DomainEvent:
    values = {
        "configurationId": configuration.configuration_id,
        "market": configuration.market,
        "modelLine": configuration.model_line,
        "submittedBy": channel_segment("submittedBy", submitted_by),
        **recommendation.to_dict(),
        "priority": configuration.priority,
    }
    return _notified(SPEC_ADJUSTMENT_RECOMMENDED, values, request_id)


def validation_outcome_events(
    configuration: Configuration, result: ValidationResult, submitted_by: str, request_id: str | None = None
) -> list[DomainEvent]:
    """ConfigurationValidated followed by one SpecAdjustmentRecommended per recommendation."""
    return [
        configuration_validated(configuration, result, submitted_by, request_id),
        *(
            spec_adjustment_recommended(configuration, r, submitted_by, request_id)
            for r in result.recommendations
        ),
    ]


def validation_requested(
    configuration: Configuration, batch_id: str, submitted_by: str, request_id: str | None = None
) -> DomainEvent:
    detail: dict[str, Any] = {
        "configurationId": configuration.configuration_id,
        "batchId": client_scalar("batchId", batch_id),
        "submittedBy": channel_segment("submittedBy", submitted_by),
        "configuration": configuration.to_dict(),
    }
    return DomainEvent(VALIDATION_SOURCE, VALIDATION_REQUESTED, _with_request_id(detail, request_id))


@dataclass(frozen=True)
class ValidationRequest:
    """The work a ValidationRequested event asks for."""

    configuration: Configuration
    batch_id: str
    submitted_by: str
    request_id: str | None


def parse_validation_requested(detail: Any) -> ValidationRequest:
    """Read a ValidationRequested detail back; raise `InvalidFields` naming every bad field."""
    if not isinstance(detail, Mapping):
        raise InvalidFields.single("detail", "must be a JSON object")
    errors: list[FieldError] = []
    parsed: dict[str, Any] = {}
    checks = {
        "batchId": lambda v: client_scalar("batchId", v),
        "submittedBy": lambda v: channel_segment("submittedBy", v),
        "configuration": lambda v: Configuration.from_dict(v),
    }
    for name, check in checks.items():
        try:
            parsed[name] = check(detail[name]) if name in detail else _missing(name)
        except InvalidFields as invalid:
            errors.extend(e.nested("detail") for e in invalid.errors)
    try:
        request_id = channel_segment("requestId", detail["requestId"]) if "requestId" in detail else None
    except InvalidFields as invalid:
        errors.extend(e.nested("detail") for e in invalid.errors)
    if errors:
        raise InvalidFields(errors)
    return ValidationRequest(parsed["configuration"], parsed["batchId"], parsed["submittedBy"], request_id)


@dataclass(frozen=True)
class SupplyConstraint:
    """A shortage of a part at a plant, and the configurations it affects."""

    constraint_id: str
    plant: str
    part_number: str
    severity: str
    affected_configurations: Sequence[str]
    priority: str


def supply_constraint_raised(constraint: SupplyConstraint) -> DomainEvent:
    return _notified(SUPPLY_CONSTRAINT_RAISED, _supply_values(constraint))


def supply_constraint_cleared(constraint: SupplyConstraint) -> DomainEvent:
    return _notified(SUPPLY_CONSTRAINT_CLEARED, _supply_values(constraint))


def _supply_values(constraint: SupplyConstraint) -> dict[str, Any]:
    return _checked_supply_fields(json_fields(constraint))


def _affected_configurations(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) > MAX_AFFECTED_CONFIGURATIONS:
        raise InvalidFields.single(
            "affectedConfigurations",
            f"must be a list of at most {MAX_AFFECTED_CONFIGURATIONS} configuration ids, got {shown(value)}",
        )
    errors: list[FieldError] = []
    for index, item in enumerate(value):
        try:
            client_scalar(f"affectedConfigurations[{index}]", item)
        except InvalidFields as invalid:
            errors.extend(invalid.errors)
    if errors:
        raise InvalidFields(errors)
    return list(value)


# The field rules of a supply constraint event, in detail order: what the builders and the supply ingress
# hold every value to (the notified ones are spliced into publish bodies unescaped).
SUPPLY_FIELD_RULES: Mapping[str, Callable[[Any], Any]] = {
    "constraintId": lambda value: client_scalar("constraintId", value),
    "plant": lambda value: channel_segment("plant", value),
    "partNumber": lambda value: client_scalar("partNumber", value),
    "severity": lambda value: one_of("severity", value, SEVERITIES),
    "affectedConfigurations": _affected_configurations,
    "priority": lambda value: one_of("priority", value, PRIORITIES),
}


def _checked_supply_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every rule applied to its field (a missing one is required); raises `InvalidFields` naming all."""
    errors: list[FieldError] = []
    checked: dict[str, Any] = {}
    for name, rule in SUPPLY_FIELD_RULES.items():
        try:
            checked[name] = rule(values[name]) if name in values else _missing(name)
        except InvalidFields as invalid:
            errors.extend(invalid.errors)
    if errors:
        raise InvalidFields(errors)
    return checked


def parse_supply_constraint(detail: Any) -> SupplyConstraint:
    """Read the detail of a SupplyConstraintRaised or -Cleared an outside system put; raise `InvalidFields`
    naming every field that is missing, unknown, or breaks its rule (`detail.<field>`)."""
    if not isinstance(detail, Mapping):
        raise InvalidFields.single("detail", "must be a JSON object")
    errors = [
        FieldError(f"detail.{name}", "is not a field of a supply constraint event")
        for name in detail
        if name not in SUPPLY_FIELD_RULES
    ]
    try:
        values = _checked_supply_fields(detail)
    except InvalidFields as invalid:
        errors.extend(e.nested("detail") for e in invalid.errors)
    if errors:
        raise InvalidFields(errors)
    values["affectedConfigurations"] = tuple(values["affectedConfigurations"])
    return from_json_fields(SupplyConstraint, values)


def _notified(detail_type: str, values: dict[str, Any], request_id: str | None = None) -> DomainEvent:
    """An event whose detail holds exactly the fields its notification declares (and the request id)."""
    notification = NOTIFICATIONS[detail_type]
    detail = _with_request_id(notification.detail(values), request_id)
    return DomainEvent(notification.source, detail_type, detail)


def _with_request_id(detail: dict[str, Any], request_id: str | None) -> dict[str, Any]:
    if request_id is not None:
        detail["requestId"] = channel_segment("requestId", request_id)
    return detail


def _missing(name: str) -> Any:
    raise InvalidFields.single(name, "is required")
