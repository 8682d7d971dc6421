"""An identity provider's signing keys (its JWKS), fetched over HTTPS and kept for a while.

Keep one cache per process so the keys outlive an invocation. A `kid` the cache lacks triggers one refetch
(the provider may have rotated its keys), at most once per cooldown so tokens naming made-up kids cannot
make the function hammer the provider. JWKs this project cannot verify with (another key type, an
encryption key) are kept aside with the reason, so a token naming one is refused with that reason.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from adapters.jwk import PublicKey, UnusableKey, public_key

MAX_JWKS_BYTES = 1 << 20


class JwksUnavailable(Exception):
    """The keys could not be fetched or read: no token can be verified until they can."""


class KeyNotFound(LookupError):
    """The provider publishes no usable key under this kid."""


@dataclass
class JwksCache:
    """The keys served at `url`, by kid; refetched when older than `lifespan_seconds` or on an unknown kid."""

    url: str
    _: KW_ONLY
    lifespan_seconds: float = 300
    refresh_cooldown_seconds: float = 0
    fetch_timeout_seconds: float = 5
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str, PublicKey] = field(default_factory=dict, init=False, repr=False)
    _unusable: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _fetched_at: float | None = field(default=None, init=False, repr=False)

    def key(self, kid: str) -> PublicKey:
        """The usable key named `kid`; raises KeyNotFound or JwksUnavailable."""
        now = self.clock()
        if self._fetched_at is None or now - self._fetched_at >= self.lifespan_seconds:
            self._fetch(now)
        elif kid not in self._keys and now - self._fetched_at >= self.refresh_cooldown_seconds:
            self._fetch(now)  # perhaps a key the provider has just rotated in
        if kid in self._keys:
            return self._keys[kid]
        if kid in self._unusable:
            raise KeyNotFound(f"key {kid!r} is unusable: {self._unusable[kid]}")
        raise KeyNotFound(f"the JWKS has no key {kid!r}")

    def _fetch(self, now: float) -> None:
        try:
            with urllib.request.urlopen(self.url, timeout=self.fetch_timeout_seconds) as response:
                body = response.read(MAX_JWKS_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise JwksUnavailable(f"fetching {self.url} failed: {error}") from None
        if len(body) > MAX_JWKS_BYTES:
            raise JwksUnavailable(f"the JWKS at {self.url} is over {MAX_JWKS_BYTES:,} bytes")
        try:
            document = json.loads(body)
        except ValueError:
            raise JwksUnavailable(f"the JWKS at {self.url} is not JSON") from None
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise JwksUnavailable(f"the JWKS at {self.url} has no 'keys' list")
        self._keys, self._unusable = read_keys(keys)
        self._fetched_at = now


def read_keys(jwks: list[Any]) -> tuple[dict[str, PublicKey], dict[str, str]]:
    """The usable keys by kid, and why each other kid is unusable (JWKs without a kid are skipped)."""
    usable: dict[str, PublicKey] = {}
    unusable: dict[str, str] = {}
    for jwk in jwks:
        kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
        if not isinstance(kid, str) or not kid:
            continue
        try:
            usable[kid] = public_key(jwk)
        except UnusableKey as reason:
            unusable[kid] = str(reason)
    return usable, unusable
