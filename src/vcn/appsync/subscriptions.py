"""The channel index: which subscriptions a publish to a channel reaches.

Subscriptions are kept in two maps keyed by path: exact channels and `/*` prefixes. A publish to `/ns/a/b`
looks up the exact path and each of its ancestors (`/ns`, `/ns/a`) as a wildcard prefix, so its cost is
proportional to the matching subscriptions, never to the number of connections.

Each path's subscriptions are kept in the order they were made (a dict used as an ordered set), so a publish
reaches them in that order, the same for every channel and every run: with a set, the order would follow
object addresses and differ from channel to channel, and so would which subscriber waits longest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from vcn.appsync.channels import Channel
from vcn.appsync.protocol import data_frame_prefix

if TYPE_CHECKING:
    from vcn.appsync.fanout import Outbox


class Subscription:
    """One subscription of one connection; holds the pre-built head of its `data` frames."""

    __slots__ = ("channel", "frame_prefix", "id", "outbox")

    def __init__(self, sub_id: str, channel: Channel, outbox: Outbox) -> None:
        self.id = sub_id
        self.channel = channel
        self.outbox = outbox
        self.frame_prefix = data_frame_prefix(sub_id)


class SubscriptionIndex:
    def __init__(self) -> None:
        # path -> its subscriptions, oldest first (the values are unused)
        self._exact: dict[str, dict[Subscription, None]] = {}
        self._below: dict[str, dict[Subscription, None]] = {}

    def _bucket(self, channel: Channel) -> dict[str, dict[Subscription, None]]:
        return self._below if channel.wildcard else self._exact

    def add(self, subscription: Subscription) -> None:
        self._bucket(subscription.channel).setdefault(subscription.channel.path, {})[subscription] = None

    def remove(self, subscription: Subscription) -> None:
        bucket = self._bucket(subscription.channel)
        subs = bucket.get(subscription.channel.path)
        if subs is None:
            return
        subs.pop(subscription, None)
        if not subs:
            del bucket[subscription.channel.path]

    def match(self, channel: Channel) -> Iterator[Subscription]:
        """Every subscription a publish to `channel` (a concrete channel) reaches."""
        exact = self._exact.get(channel.path)
        if exact:
            yield from exact
        if self._below:
            for prefix in channel.ancestors():
                below = self._below.get(prefix)
                if below:
                    yield from below

    def __len__(self) -> int:
        return sum(map(len, self._exact.values())) + sum(map(len, self._below.values()))
