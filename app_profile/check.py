"""This application's part of `vcn check`: the events its producers can emit, what clients read, who reads.

Built from the domain package, not copied: the detail-types and their fields come from
`vehicle_config.notifications` (and `events` for ValidationRequested), the valid values from the catalog, the
enums and the field rules of `vehicle_config.fields`. An outside producer (`aws events put-events`) is not
held to those rules, so every field may also hold any of the hostile values of `vcn.check.adversarial`. The
fields clients read come from `Notification.keys_on`, who may subscribe from
`vehicle_config.channels.may_subscribe`.

Who may put what: `vehicle-config.validation` and `vehicle-config.supply.checked` are trusted (only the
functions named here emit them, through the builders; the template's bus policy denies them to everyone
else), so only contract-keeping details are drawn for them. `vehicle-config.supply` is open: supply systems
put it, and the supply ingress (`vehicle_config.supply_ingress.admit`, the function the Lambda runs) decides
what of it reaches the notification rule.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from vehicle_config.catalog import Catalog, default_catalog
from vehicle_config.channels import ALL, Grants, may_subscribe
from vehicle_config.events import (
    MAX_AFFECTED_CONFIGURATIONS,
    SEVERITIES,
    VALIDATION_REQUESTED,
    parse_validation_requested,
    validation_requested,
)
from vehicle_config.fields import (
    CHANNEL_SEGMENT_FIELDS,
    CLIENT_SCALAR_MAX_LENGTH,
    InvalidFields,
    is_channel_segment,
    is_client_scalar,
)
from vehicle_config.model import PRIORITIES, Configuration
from vehicle_config.notifications import (
    CHECKED_SUPPLY_SOURCE,
    NOTIFICATIONS,
    REQUEST_ID,
    SUPPLY_SOURCE,
    VALIDATION_SOURCE,
    Notification,
)
from vehicle_config.rules import ACTIONS, ADD_OPTION, NO_OPTION, OUTCOMES, VALID_WITH_WARNINGS
from vehicle_config.supply_ingress import Admitted, admit

from app_profile.analysts import DEMO_ANALYSTS
from vcn.check.adversarial import (
    Strategy,
    boundary_integers,
    contract_details,
    hostile_replacements,
    producer_details,
)
from vcn.check.contribution import (
    Admission,
    ChannelsFor,
    CheckContribution,
    EventKind,
    FieldsRead,
    OpenSource,
    TrustedSource,
)

COUNTS = ("violationCount", "warningCount")
ENUMS: Mapping[str, tuple[str, ...]] = {
    "priority": PRIORITIES,
    "outcome": OUTCOMES,
    "action": ACTIONS,
    "severity": SEVERITIES,
}
LARGEST_COUNT = 2**31 - 1


def check_contribution() -> CheckContribution:
    catalog = default_catalog()
    kinds = [_notified_kind(notification, catalog) for notification in NOTIFICATIONS.values()]
    kinds.append(_validation_requested_kind(catalog))
    return CheckContribution(
        event_kinds=tuple(kinds),
        may_subscribe=some_token_may_subscribe,
        trusted_sources=(
            TrustedSource(VALIDATION_SOURCE, ("ConfigurationApiFunction", "ValidationWorkerFunction")),
            TrustedSource(CHECKED_SUPPLY_SOURCE, (SUPPLY_INGRESS_FUNCTION,)),
        ),
        open_sources=(
            OpenSource(SUPPLY_SOURCE, supply_admission, SUPPLY_INGRESS_FUNCTION, "RejectedNotificationQueue"),
        ),
    )


SUPPLY_INGRESS_FUNCTION = "SupplyIngressFunction"


def supply_admission(source: str, detail_type: str, detail: Mapping[str, Any]) -> Admission:
    """What the supply ingress makes of an event a supply system put (`vehicle_config.supply_ingress`)."""
    outcome = admit(source, detail_type, detail)
    if isinstance(outcome, Admitted):
        event = outcome.event
        return Admission(event.source, event.detail_type, event.detail)
    return Admission(reasons=outcome.reasons)


def some_token_may_subscribe(channel: str) -> bool:
    """Whether any token may subscribe: the widest grants (every market and plant) of any user whose id
    could matter, i.e. of each segment of the channel (a user reads their own `/users/<id>`)."""
    users = [segment for segment in channel.strip("/").split("/") if is_channel_segment(segment)]
    return any(
        may_subscribe(Grants(user, frozenset({ALL}), frozenset({ALL})), channel) for user in users or [""]
    )


# --- valid values ---------------------------------------------------------------------------------------


ALPHANUMERIC = string.ascii_letters + string.digits


def _client_scalars() -> st.SearchStrategy[str]:
    """1-128 of `[A-Za-z0-9._:-]` (`vehicle_config.fields.CLIENT_SCALAR`)."""
    return st.text(alphabet=ALPHANUMERIC + "._:-", min_size=1, max_size=CLIENT_SCALAR_MAX_LENGTH)


def _segments(known: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Codes the catalog knows first; then any valid channel segment (an outside producer's new code):
    1-50 of `[A-Za-z0-9-]`, not starting or ending with `-` (`vehicle_config.fields.CHANNEL_SEGMENT`)."""
    inner = st.text(alphabet=ALPHANUMERIC + "-", max_size=48)
    edge = st.sampled_from(ALPHANUMERIC)
    longest = st.tuples(edge, inner, edge).map("".join)
    return st.one_of(st.sampled_from(known), st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=50), longest)


def _valid_values(catalog: Catalog) -> dict[str, Strategy]:
    options = (*sorted(catalog.options), NO_OPTION)
    users = tuple(user.id for user in DEMO_ANALYSTS)
    values: dict[str, Strategy] = {
        "market": _segments(tuple(catalog.markets)),
        "modelLine": _segments(tuple(catalog.model_lines)),
        "plant": _segments(tuple(catalog.plants)),
        "submittedBy": _segments(users),
        REQUEST_ID: _segments(("req-2b8e61d4",)),
        "fromOption": st.one_of(st.sampled_from(options), _client_scalars()),
        "toOption": st.one_of(st.sampled_from(options), _client_scalars()),
        "affectedConfigurations": st.lists(_client_scalars(), max_size=3),
    }
    values.update({name: st.sampled_from(allowed) for name, allowed in ENUMS.items()})
    values.update({name: boundary_integers(0, LARGEST_COUNT) for name in COUNTS})
    assert set(values) >= CHANNEL_SEGMENT_FIELDS, "every channel-segment field needs segment values"
    return values


def _notified_kind(notification: Notification, catalog: Catalog) -> EventKind:
    valid = _valid_values(catalog)
    fields = {name: valid.get(name, _client_scalars()) for name in notification.detail_fields}
    typical = notification.detail(_typical_values(notification, catalog))
    examples: tuple[Mapping[str, Any], ...] = (typical,)
    if notification.reply_channel is not None:
        fields[REQUEST_ID] = valid[REQUEST_ID]
        examples = (typical, {**typical, REQUEST_ID: "req-0001"})
    # supply systems put supply events; only the supply ingress puts the checked source the rule matches
    source = SUPPLY_SOURCE if notification.source == CHECKED_SUPPLY_SOURCE else notification.source
    return EventKind(
        source=source,
        detail_type=notification.detail_type,
        details=producer_details(fields, optional=(REQUEST_ID,)),
        contract_details=contract_details(fields, optional=(REQUEST_ID,)),
        examples=examples,
        fields_read=_fields_read(notification),
        channels_for=_channels_for(notification),
        replacements=hostile_replacements,
        conforms=lambda detail: _keeps_the_contract(notification, detail),
    )


def _valid_field(name: str, value: Any) -> bool:
    """The domain's rule for one detail field (what the event builders of `vehicle_config.events` check)."""
    if name in CHANNEL_SEGMENT_FIELDS:
        return is_channel_segment(value)
    if name in ENUMS:
        return value in ENUMS[name]
    if name in COUNTS:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if name == "affectedConfigurations":
        return (
            isinstance(value, list)
            and len(value) <= MAX_AFFECTED_CONFIGURATIONS
            and all(is_client_scalar(item) for item in value)
        )
    return is_client_scalar(value)


def _keeps_the_contract(notification: Notification, detail: Mapping[str, Any]) -> bool:
    """Exactly the declared fields (a requestId may answer a caller), each valid."""
    return set(detail) - {REQUEST_ID} == set(notification.detail_fields) and all(
        _valid_field(name, value) for name, value in detail.items()
    )


def _requests_validation(detail: Mapping[str, Any]) -> bool:
    """A ValidationRequested the validation worker accepts."""
    if set(detail) - {REQUEST_ID} != {"configurationId", "batchId", "submittedBy", "configuration"}:
        return False
    try:
        parse_validation_requested(detail)
    except InvalidFields:
        return False
    return is_client_scalar(detail["configurationId"])


def _typical_values(notification: Notification, catalog: Catalog) -> dict[str, Any]:
    """An ordinary detail: a model line, a market it is sold in, a plant that builds it, a demo analyst."""
    line = next(iter(catalog.model_lines.values()))
    typical: dict[str, Any] = {
        "configurationId": "cfg-0001",
        "market": sorted(line.markets)[0],
        "modelLine": line.code,
        "plant": next(plant.code for plant in catalog.plants.values() if line.code in plant.model_lines),
        "outcome": VALID_WITH_WARNINGS,
        "violationCount": 0,
        "warningCount": 2,
        "submittedBy": DEMO_ANALYSTS[0].id,
        "recommendationId": "rec-0001",
        "action": ADD_OPTION,
        "fromOption": NO_OPTION,
        "toOption": sorted(catalog.options)[0],
        "reasonCode": "REQUIRED_OPTION_MISSING",
        "constraintId": "sc-0001",
        "partNumber": "PN-4471-A",
        "severity": SEVERITIES[-1],
        "affectedConfigurations": ["cfg-0001", "cfg-0002"],
        "priority": "NORMAL",
    }
    return {name: typical[name] for name in notification.detail_fields}


def _fields_read(notification: Notification) -> FieldsRead:
    by_namespace = {template.split("/")[1]: template for template in notification.every_channel}

    def fields_read(channel: str) -> tuple[str, ...] | None:
        template = by_namespace.get(channel.strip("/").split("/")[0])
        return None if template is None else notification.keys_on(template)

    return fields_read


def _channels_for(notification: Notification) -> ChannelsFor:
    """Where the domain sends a detail's notification (`Notification.channels_for`), each value as an
    InputTransformer splices it: a string as it is, anything else as its JSON text."""

    def channels_for(detail: Mapping[str, Any]) -> tuple[str, ...]:
        values = {name: v if isinstance(v, str) else json.dumps(v) for name, v in detail.items()}
        return notification.channels_for(values)

    return channels_for


def _validation_requested_kind(catalog: Catalog) -> EventKind:
    valid = _valid_values(catalog)
    configuration = st.fixed_dictionaries(
        {
            "configurationId": _client_scalars(),
            "market": valid["market"],
            "modelLine": valid["modelLine"],
            "trim": st.sampled_from(sorted(catalog.trims)),
            "powertrain": st.sampled_from(sorted(catalog.powertrains)),
            "plant": valid["plant"],
            "options": st.lists(st.sampled_from(sorted(catalog.options)), max_size=4),
            "priority": valid["priority"],
        }
    )
    fields = {
        "configurationId": _client_scalars(),
        "batchId": _client_scalars(),
        "submittedBy": valid["submittedBy"],
        "configuration": configuration,
        REQUEST_ID: valid[REQUEST_ID],
    }
    line = next(iter(catalog.model_lines.values()))
    typical = Configuration(
        configuration_id="cfg-0001",
        market=sorted(line.markets)[0],
        model_line=line.code,
        trim=line.trims[0],
        powertrain=line.powertrains[0],
        plant=next(p.code for p in catalog.plants.values() if line.code in p.model_lines),
    )
    event = validation_requested(typical, "batch-0001", DEMO_ANALYSTS[0].id)
    return EventKind(
        source=VALIDATION_SOURCE,
        detail_type=VALIDATION_REQUESTED,
        details=producer_details(fields, optional=(REQUEST_ID,)),
        contract_details=contract_details(fields, optional=(REQUEST_ID,)),
        examples=(event.detail, {**event.detail, REQUEST_ID: "req-0001"}),
        replacements=hostile_replacements,
        conforms=_requests_validation,
    )
