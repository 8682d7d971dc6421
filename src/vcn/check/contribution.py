"""What an application tells `vcn check` about itself, through its app profile (`AppProfile.check`).

The check knows AWS: patterns, transformers, AppSync Events' limits and auth modes, alarms, IAM, prices. Only
the application knows which events its producers can emit (every detail-type, every field, the valid values
and the hostile ones an outside producer could send), which fields its clients read from each notification,
and which channels the tokens it issues may subscribe to.

It also knows who may put each source. A *trusted* source is emitted only by the application's own functions,
through builders that keep the contract; the bus policy must deny it to every other principal, and then only
events within the contract are drawn for it. An *open* source is put by outside producers; its events must
reach the rules only through an *ingress* function, which checks each event and either puts a canonical
event back on the bus or refuses it into a queue an alarm watches. The profile hands the check the same pure
function the ingress runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


# The fields clients read from a notification published on a channel (a concrete channel such as
# `/orders/eu/42`), or None when no client of this event reads that channel.
FieldsRead = Callable[[str], tuple[str, ...] | None]
# The channels a detail's notification goes to, as the application says (`/orders/eu/42`, ...).
ChannelsFor = Callable[[Mapping[str, Any]], tuple[str, ...]]


@dataclass(frozen=True)
class EventKind:
    """One detail-type a producer can put on the bus."""

    source: str
    detail_type: str
    # Every detail a producer could send: valid ones, and hostile ones (see `vcn.check.adversarial`).
    details: SearchStrategy[dict[str, Any]]
    # Ordinary details, the most common first (it decides routing and cost).
    examples: tuple[Mapping[str, Any], ...]
    # None: the event reaches no client (a work item for a function), so a publish of it is a mistake.
    fields_read: FieldsRead | None = None
    # The concrete channels the application sends a detail's notification to (e.g. its channel templates
    # filled with the detail's values): a publish a rule renders elsewhere reaches none of the clients the
    # event is for. None: not checked.
    channels_for: ChannelsFor | None = None
    # What a producer could send instead of a field's value (e.g. `adversarial.hostile_replacements`): each
    # ordinary detail is also sent with every field in turn replaced by each (`MISSING`: left out).
    replacements: Callable[[Any], Iterable[Any]] | None = None
    # Whether a detail keeps the producers' contract (the domain's field rules). Every failure of such an
    # event fails the check; a hostile one AppSync refuses into a watched dead-letter queue is only reported
    # as kept. None: only the ordinary examples keep it.
    conforms: Callable[[Mapping[str, Any]], bool] | None = None
    # Details within the contract only (`adversarial.contract_details`): what is drawn for a trusted source.
    # None: `details` filtered by `conforms`, slower (most of what it draws is hostile).
    contract_details: SearchStrategy[dict[str, Any]] | None = None

    @property
    def typical(self) -> Mapping[str, Any]:
        return self.examples[0]


@dataclass(frozen=True)
class Admission:
    """What an ingress makes of one event: the canonical event it puts on the bus, or why it refuses it."""

    source: str | None = None
    detail_type: str | None = None
    detail: Mapping[str, Any] | None = None
    reasons: tuple[str, ...] = ()  # each naming the field (`detail.region: ...`), when refused

    @property
    def admitted(self) -> bool:
        return self.detail is not None


# (source, detail-type, detail) -> what the ingress makes of it
Ingress = Callable[[str, str, Mapping[str, Any]], Admission]


@dataclass(frozen=True)
class TrustedSource:
    """A source only the application's functions emit (logical ids), all through its event builders."""

    source: str
    emitters: tuple[str, ...]


@dataclass(frozen=True)
class OpenSource:
    """A source outside producers put; its events must reach notification rules only through `ingress`."""

    source: str
    ingress: Ingress
    function: str  # logical id of the function that runs the ingress (a rule of the bus targets it)
    refused_to: str  # logical id of the queue it sends refused events to (an alarm must watch it)


@dataclass(frozen=True)
class CheckContribution:
    """The application's part of `vcn check`."""

    event_kinds: tuple[EventKind, ...]
    # Whether some token a client can hold may subscribe to a channel (for namespaces a Lambda authorizer or
    # OIDC guards; IAM and API-key namespaces are checked from the template alone). None: not checked.
    may_subscribe: Callable[[str], bool] | None = None
    # The bus producers write to; None: the template's first custom bus.
    bus_name: str | None = None
    # Who may put which source (see the module's docstring); a source in neither is open without an ingress.
    trusted_sources: tuple[TrustedSource, ...] = ()
    open_sources: tuple[OpenSource, ...] = ()


# The profile holds a factory: Hypothesis and the domain load only when `vcn check` runs.
CheckContributionFactory = Callable[[], CheckContribution]
