"""How long an API key may live and what one daily run of the keeper does, over the `ApiKeys` port.

AWS lets an AppSync API key expire at most 365 days after the update that sets it, and keeps its expiry
rounded down to the hour; a key can still be extended after it expired, until AppSync deletes it 60 days
later. A key that lapses breaks every publish that carries it (401), so the keeper moves each key of the API
to the latest expiry AWS accepts, every day, and reports the days each key then has left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

HOUR = 3600
DAY = 24 * HOUR
MAX_LIFETIME_SECONDS = 365 * DAY
# The keeper's clock and AppSync's may differ a little; an expiry this much short of the limit is still
# accepted by a service whose clock is behind ours.
CLOCK_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class ApiKeyState:
    """One key as the control plane reports it. `key_id` is the key itself: never log it (see `hint`)."""

    key_id: str
    expires: int  # epoch seconds

    @property
    def hint(self) -> str:
        """What logs may show of the key: its last four characters."""
        return f"...{self.key_id[-4:]}"


class KeyNotExtended(Exception):
    """The control plane refused or failed to extend a key; the message says what it answered."""


class ApiKeys(Protocol):
    def list_keys(self) -> Sequence[ApiKeyState]:
        """Every key of the API (expired ones included, until AWS deletes them)."""
        ...

    def extend(self, key_id: str, expires: int) -> ApiKeyState:
        """Set a key's expiry; raise KeyNotExtended when it cannot be done."""
        ...


@dataclass(frozen=True)
class KeptKey:
    """The outcome for one key: its expiry after the run, and why it did not move if it failed."""

    key: ApiKeyState
    days_left: float
    extended: bool
    failure: str | None = None


def longest_expiry(now: float) -> int:
    """The latest expiry AWS accepts for an update made at `now`: 365 days ahead, down to the hour."""
    return (int(now) + MAX_LIFETIME_SECONDS - CLOCK_MARGIN_SECONDS) // HOUR * HOUR


def days_left(expires: int, now: float) -> float:
    return round((expires - now) / DAY, 2)


def keep_keys(keys: ApiKeys, now: float) -> list[KeptKey]:
    """Extend every key whose expiry is short of the longest one; one key's failure does not stop the rest."""
    target = longest_expiry(now)
    kept: list[KeptKey] = []
    for key in keys.list_keys():
        if key.expires >= target:
            kept.append(KeptKey(key, days_left(key.expires, now), extended=False))
            continue
        try:
            extended = keys.extend(key.key_id, target)
        except KeyNotExtended as refused:
            kept.append(KeptKey(key, days_left(key.expires, now), extended=False, failure=str(refused)))
            continue
        kept.append(KeptKey(extended, days_left(extended.expires, now), extended=True))
    return kept
