"""A synchronous answer over asynchronous work: subscribe to the reply channel, THEN start work, then wait.

Subscribing first closes the race of the usual sample (start the work, then subscribe, then hope the reply
was slow): the work is started only after the service confirmed the subscription, so the reply cannot be
published before anyone listens. AppSync Events does not replay, so nothing published to the channel
before that moment can reach this request either.

`ReplySubscriber` is the port (`AppSyncReplySubscriber` in `adapters.appsync_replies` implements it with
the AppSync Events client); `request_reply` is the whole protocol over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)


class ReplyChannelUnavailable(RuntimeError):
    """The reply channel could not be subscribed, so the work was not started."""


class ReplyChannelLost(RuntimeError):
    """The subscription ended before a reply arrived (connection lost for good, or closed)."""


class Replies(Protocol):
    """Events on one subscribed channel, in arrival order."""

    async def get(self, timeout: float) -> Any:
        """The next event; raises `TimeoutError` after `timeout` seconds, `ReplyChannelLost` at the end."""
        ...


class ReplySubscriber(Protocol):
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Replies]:
        """Entered only once the service confirmed the subscription; leaving it always unsubscribes.

        Raises `ReplyChannelUnavailable` when the subscription is refused or cannot be made.
        """
        ...


@dataclass(frozen=True)
class ReplyOutcome:
    """The reply (None when none arrived within the wait) and how many other events were ignored."""

    reply: Any | None
    ignored: int = 0
    channel_lost: bool = False
    # False: the wait ran out while subscribing; the work was started all the same, without a listener here.
    subscribed: bool = True

    @property
    def answered(self) -> bool:
        return self.reply is not None


async def request_reply(
    subscriber: ReplySubscriber,
    channel: str,
    start_work: Callable[[], object],
    is_reply: Callable[[Any], bool],
    wait_seconds: float,
) -> ReplyOutcome:
    """Subscribe to `channel`, then call `start_work` (blocking, run in a thread), then wait for a reply.

    The wait counts from the call, subscribing included. Events for which `is_reply` is false (foreign,
    duplicate, malformed) are skipped; the first matching one is returned. No reply in time, or a lost
    subscription, gives an outcome without reply: a worker failure looks like a timeout, never a hang.
    A subscription still pending when the wait runs out is abandoned and the work started all the same
    (a slow channel is not a refused one: the reply still reaches the channel, for whoever subscribes).
    `ReplyChannelUnavailable` (refused or failed) propagates before anything is started; an exception
    from `start_work` propagates too (the subscription is closed first).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    async with contextlib.AsyncExitStack() as stack:
        replies: Replies | None = None
        try:
            async with asyncio.timeout_at(deadline):
                replies = await stack.enter_async_context(subscriber.subscribe(channel))
        except TimeoutError:
            log.warning("subscribing to %s took longer than the wait of %g s", channel, wait_seconds)
        await asyncio.to_thread(start_work)
        if replies is None:
            return ReplyOutcome(None, subscribed=False)
        ignored = 0
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await replies.get(remaining)
            except TimeoutError:
                break
            except ReplyChannelLost as lost:
                log.warning("reply channel %s lost while waiting: %s", channel, lost)
                return ReplyOutcome(None, ignored, channel_lost=True)
            if is_reply(event):
                return ReplyOutcome(event, ignored)
            ignored += 1
            log.warning("ignored an event on %s that is not the reply: %.300r", channel, event)
        return ReplyOutcome(None, ignored)
