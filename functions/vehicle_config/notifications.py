"""The notification contract: for each detail-type that reaches clients, its fields and its channels.

A notification is the JSON a subscriber receives: `type` (the detail-type), `eventId`, `time`, `priority`,
then the scalar detail fields of its event, in the order declared here. Only scalars travel: an
InputTransformer cannot turn a list or an object into a string. Declared once, here: the event builders in
`events` take their detail fields from it, and the tests hold template.yaml's InputTransformers (which stay
hand-written) and the running local cloud to it.

Channels are templates whose `{field}` parts are the event's values. An event that carries a `requestId`
also answers a waiting caller: its notification goes to the reply channel too, with the `requestId` added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Emitted only by this project's functions, through the event builders of `events`.
VALIDATION_SOURCE = "vehicle-config.validation"
# Put by outside supply systems (`aws events put-events`): held to nothing until the supply ingress checks it.
SUPPLY_SOURCE = "vehicle-config.supply"
# What the supply ingress puts back once a supply event keeps the contract: the notification rules' source.
CHECKED_SUPPLY_SOURCE = "vehicle-config.supply.checked"
# Sources whose every event was built by this package's builders (by a function of the project, or by an
# ingress from what an outside system put); the bus policy lets nobody else put them.
TRUSTED_SOURCES = (VALIDATION_SOURCE, CHECKED_SUPPLY_SOURCE)

CONFIGURATION_VALIDATED = "ConfigurationValidated"
SPEC_ADJUSTMENT_RECOMMENDED = "SpecAdjustmentRecommended"
SUPPLY_CONSTRAINT_RAISED = "SupplyConstraintRaised"
SUPPLY_CONSTRAINT_CLEARED = "SupplyConstraintCleared"

MARKET_CHANNEL = "/markets/{market}/{modelLine}"
USER_CHANNEL = "/users/{submittedBy}"
PLANT_CHANNEL = "/plants/{plant}"
REQUEST_CHANNEL = "/requests/{requestId}"

PRIORITY = "priority"
REQUEST_ID = "requestId"
# Every notification starts with these; `type`, `eventId` and `time` come from the EventBridge envelope.
ENVELOPE = ("type", "eventId", "time", PRIORITY)


@dataclass(frozen=True)
class Notification:
    """What one detail-type becomes for its subscribers."""

    source: str
    detail_type: str
    fields: tuple[str, ...]  # scalar detail fields after the envelope, in notification order
    channels: tuple[str, ...]
    bus_only: tuple[str, ...] = ()  # detail fields that stay on the bus (lists cannot travel)
    reply_channel: str | None = None

    @property
    def detail_fields(self) -> tuple[str, ...]:
        """Every field the event's detail has (without the optional `requestId`)."""
        return (*self.fields, *self.bus_only, PRIORITY)

    @property
    def every_channel(self) -> tuple[str, ...]:
        return self.channels if self.reply_channel is None else (*self.channels, self.reply_channel)

    def channels_for(self, values: Mapping[str, str]) -> tuple[str, ...]:
        """The concrete channels an event with these detail values (as text) goes to: each of `channels`,
        and the reply channel when it carries a `requestId`. A template whose field is missing is left out."""
        templates = (
            *self.channels,
            *((self.reply_channel,) if self.reply_channel and REQUEST_ID in values else ()),
        )
        found = []
        for template in templates:
            try:
                found.append(template.format_map(values))
            except KeyError:
                continue
        return tuple(found)

    def keys_on(self, channel: str) -> tuple[str, ...]:
        """The notification's keys, in order, on `channel` (one of `every_channel`)."""
        if channel not in self.every_channel:
            raise ValueError(f"{self.detail_type} is not sent to {channel}")
        return (*ENVELOPE, *self.fields, *((REQUEST_ID,) if channel == self.reply_channel else ()))

    def detail(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` as this event's detail, in declared order; it must hold exactly the declared fields."""
        if set(values) != set(self.detail_fields):
            raise ValueError(
                f"a {self.detail_type} detail has exactly {', '.join(self.detail_fields)}; "
                f"got {', '.join(values)}"
            )
        return {name: values[name] for name in self.detail_fields}


def _supply_constraint(detail_type: str) -> Notification:
    """Raised and cleared carry the same fields: they are two facts about one constraint. Notified from the
    supply ingress's canonical event, never from what a supply system put."""
    return Notification(
        CHECKED_SUPPLY_SOURCE,
        detail_type,
        fields=("constraintId", "plant", "partNumber", "severity"),
        channels=(PLANT_CHANNEL,),
        bus_only=("affectedConfigurations",),
    )


NOTIFICATIONS: Mapping[str, Notification] = {
    notification.detail_type: notification
    for notification in (
        Notification(
            VALIDATION_SOURCE,
            CONFIGURATION_VALIDATED,
            fields=(
                "configurationId", "market", "modelLine", "plant",
                "outcome", "violationCount", "warningCount", "submittedBy",
            ),
            channels=(MARKET_CHANNEL, USER_CHANNEL),
            reply_channel=REQUEST_CHANNEL,
        ),
        Notification(
            VALIDATION_SOURCE,
            SPEC_ADJUSTMENT_RECOMMENDED,
            fields=(
                "configurationId", "market", "modelLine", "submittedBy",
                "recommendationId", "action", "fromOption", "toOption", "reasonCode",
            ),
            channels=(MARKET_CHANNEL, USER_CHANNEL),
        ),
        _supply_constraint(SUPPLY_CONSTRAINT_RAISED),
        _supply_constraint(SUPPLY_CONSTRAINT_CLEARED),
    )
}  # fmt: skip
