"""Who may subscribe to which AppSync Events channel: the channel map of docs/ARCHITECTURE.md, as functions.

Grants come from the authorizer's handlerContext (user id, comma-joined markets and plants, `*` for all).
A wildcard subscription is allowed only when the grants cover every channel it could match; anything the
channel map does not name is denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vehicle_config.fields import channel_segment, is_channel_segment

ALL = "*"
MAX_SEGMENTS = 5


@dataclass(frozen=True)
class Grants:
    """What a token grants: the user it names, and the markets and plants it may read (`*` = all)."""

    user_id: str
    markets: frozenset[str]
    plants: frozenset[str]

    @classmethod
    def from_handler_context(cls, context: Mapping[str, Any] | None) -> Grants:
        """Parse the authorizer's handlerContext; a missing or malformed context grants nothing."""
        context = context or {}
        user_id = context.get("userId")
        return cls(
            user_id=user_id if isinstance(user_id, str) and is_channel_segment(user_id) else "",
            markets=_split(context.get("markets")),
            plants=_split(context.get("plants")),
        )

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Grants:
        """Grants of a verified token: `sub` must be segment-safe, `markets`/`plants` are lists of codes."""
        subject = channel_segment("sub", claims.get("sub"))
        return cls(subject, _claim_codes(claims.get("markets")), _claim_codes(claims.get("plants")))

    @classmethod
    def from_http_api_claims(cls, claims: Mapping[str, Any]) -> Grants:
        """Grants of a caller behind an HTTP API JWT authorizer, whose claims arrive rendered as strings.

        API Gateway renders a list claim `["DE","FR"]` as `"[DE FR]"`; a real list (a test event or a REST
        API's authorizer) is read as it is. `sub` must be segment-safe."""
        subject = channel_segment("sub", claims.get("sub"))
        return cls(subject, _rendered_codes(claims.get("markets")), _rendered_codes(claims.get("plants")))

    def to_handler_context(self) -> dict[str, str]:
        return {
            "userId": self.user_id,
            "markets": ",".join(sorted(self.markets)),
            "plants": ",".join(sorted(self.plants)),
        }

    def grants_market(self, market: str) -> bool:
        return ALL in self.markets or market in self.markets

    def grants_plant(self, plant: str) -> bool:
        return ALL in self.plants or plant in self.plants


def grant_codes(values: Iterable[Any]) -> frozenset[str]:
    """Keep the codes that are `*` or valid channel segments; anything else can never match a channel."""
    return frozenset(v for v in values if v == ALL or is_channel_segment(v))


def may_subscribe(grants: Grants, channel: str) -> bool:
    """Decide a subscription to `channel` (which may end in `/*`) for the holder of `grants`."""
    segments = parse_subscription_channel(channel)
    if segments is None or len(segments) < 2:
        return False
    namespace, scope = segments[0], segments[1]
    if namespace == "users":
        return bool(grants.user_id) and scope == grants.user_id
    if namespace == "markets":
        return grants.grants_market(scope) if scope != ALL else ALL in grants.markets
    if namespace == "plants":
        return grants.grants_plant(scope) if scope != ALL else ALL in grants.plants
    return False


def parse_subscription_channel(channel: str) -> list[str] | None:
    """Segments of a subscription channel (`*` allowed only as the last segment), or None if malformed."""
    if not isinstance(channel, str):
        return None
    segments = channel.removeprefix("/").split("/")
    if not 1 <= len(segments) <= MAX_SEGMENTS:
        return None
    *head, last = segments
    if not all(is_channel_segment(s) for s in head) or not (last == ALL or is_channel_segment(last)):
        return None
    return segments


def _claim_codes(value: Any) -> frozenset[str]:
    return grant_codes(value) if isinstance(value, list) else frozenset()


def _rendered_codes(value: Any) -> frozenset[str]:
    if isinstance(value, list):
        return grant_codes(value)
    if not isinstance(value, str):
        return frozenset()
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return grant_codes(text.replace(",", " ").split())


def _split(value: Any) -> frozenset[str]:
    if not isinstance(value, str):
        return frozenset()
    return grant_codes(part.strip() for part in value.split(","))
