"""Validating a configuration and announcing the outcome: the use case both producers share.

The configuration API (synchronously) and the validation worker (for a queued ValidationRequested) both
check a configuration with the buildability rules and put ConfigurationValidated, then one
SpecAdjustmentRecommended per recommendation, on the bus through the `EventPublisher` port.
"""

from __future__ import annotations

from dataclasses import dataclass

from vehicle_config.events import validation_outcome_events
from vehicle_config.model import Configuration
from vehicle_config.ports import EventPublisher, PublishReceipt
from vehicle_config.rules import ValidationResult, validate


@dataclass(frozen=True)
class AnnouncedValidation:
    """What the rules found, and the bus's receipt for the events that announced it."""

    result: ValidationResult
    receipt: PublishReceipt


def validate_and_announce(
    configuration: Configuration,
    submitted_by: str,
    publisher: EventPublisher,
    *,
    request_id: str | None = None,
) -> AnnouncedValidation:
    """Validate `configuration` and publish its outcome events; a caller's `request_id` rides along."""
    result = validate(configuration)
    events = validation_outcome_events(configuration, result, submitted_by, request_id)
    return AnnouncedValidation(result, publisher.publish(events))
