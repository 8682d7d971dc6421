"""Which channels a history read covers: one channel, or every channel below a prefix (`/markets/DE/*`).

The wildcard means what it means to an AppSync Events subscription: a trailing `/*` matches every channel
strictly below the prefix, at any depth. The history stores each notification under its channel and under
each of the channel's proper prefixes (`/markets`, `/markets/DE` for `/markets/DE/VELA`), so any such pattern
is answered by one ordered read of one prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from vehicle_config.channels import ALL, MAX_SEGMENTS, parse_subscription_channel
from vehicle_config.fields import InvalidFields, shown

MAX_PREFIX_DEPTH = MAX_SEGMENTS - 1  # a channel has at most 5 segments, so a proper prefix at most 4


@dataclass(frozen=True)
class ChannelSelector:
    """A channel (`wildcard` False) or the channels strictly below `path` (`wildcard` True)."""

    path: str
    wildcard: bool

    @property
    def text(self) -> str:
        """As a subscription names it: what authorization decides on and what errors quote."""
        return f"{self.path}/{ALL}" if self.wildcard else self.path

    @property
    def depth(self) -> int:
        return self.path.count("/")


def parse_selector(field: str, raw: str | None) -> ChannelSelector:
    """A channel or a trailing-wildcard pattern (leading `/` optional), or a 400 naming `field`."""
    if not raw:
        raise InvalidFields.single(
            field, "is required: a channel such as /markets/DE/VELA or a pattern /markets/DE/*"
        )
    segments = parse_subscription_channel(raw)
    if segments is None:
        raise InvalidFields.single(
            field,
            f"{shown(raw)} is not a channel or a trailing-wildcard pattern: 1-5 segments of 1-50 letters, "
            "digits or '-' (not starting or ending with '-'), optionally ending in /* (which counts as a "
            "segment)",
        )
    wildcard = segments[-1] == ALL
    path_segments = segments[:-1] if wildcard else segments
    if not path_segments:
        raise InvalidFields.single(
            field, f"{shown(raw)} needs a namespace before the wildcard, e.g. /markets/*"
        )
    return ChannelSelector("/" + "/".join(path_segments), wildcard)


def channel_prefixes(channel: str) -> tuple[str, ...]:
    """The proper prefixes of a channel, shortest first: `/a`, `/a/b` for `/a/b/c`."""
    segments = channel.removeprefix("/").split("/")
    return tuple("/" + "/".join(segments[:n]) for n in range(1, len(segments)))
