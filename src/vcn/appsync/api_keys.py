"""The API keys of one AppSync API and their lifetimes, kept in the state folder across restarts.

AppSync's rules, as its control plane states them: a key lives 7 days unless created with `expires`; an
expiry set by CreateApiKey or UpdateApiKey must lie 1 to 365 days after the call and is kept rounded down to
the hour; an expired key is refused by every request that carries it but can still be extended until AppSync
deletes it, 60 days after it expired. A key's id is the key itself (what clients send as `x-api-key`).

Keys the template declares (`AWS::AppSync::ApiKey`) are applied as CloudFormation applies a stack: created
once, and their expiry set again only when the declared `Expires` changes, so an expiry moved by
UpdateApiKey (a key keeper) survives a restart.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from vcn.appsync.config import ApiKey, EventApiConfig

logger = logging.getLogger("vcn.appsync")

HOUR = 3600
DAY = 24 * HOUR
DEFAULT_LIFETIME_SECONDS = 7 * DAY
MIN_LIFETIME_SECONDS = DAY
MAX_LIFETIME_SECONDS = 365 * DAY
DELETED_AFTER_EXPIRY_SECONDS = 60 * DAY
MAX_KEYS_PER_API = 50  # UNCONFIRMED: AppSync's default quota of API keys per API
_KEY_ALPHABET = string.ascii_lowercase + string.digits


class ApiKeyError(Exception):
    """A control-plane error as AppSync answers it: error type, message, HTTP status."""

    def __init__(self, error_type: str, message: str, status: int) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status


def validity_out_of_bounds(message: str) -> ApiKeyError:
    return ApiKeyError("ApiKeyValidityOutOfBoundsException", message, 400)


def key_not_found(key_id: str) -> ApiKeyError:
    # UNCONFIRMED: AppSync's wording for an unknown key id.
    return ApiKeyError("NotFoundException", f"API key {_hint(key_id)} not found.", 404)


def _hint(key_id: str) -> str:
    """What a message or log may show of a key: its last four characters."""
    return f"...{key_id[-4:]}"


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str  # the key itself
    expires: int  # epoch seconds (a whole hour, once set through the control plane)
    description: str | None = None
    declared_expires: int | None = None  # the template's Expires when it was last applied (None: omitted)
    name: str | None = None  # the template's logical id, for logs

    @property
    def deletes(self) -> int:
        return self.expires + DELETED_AFTER_EXPIRY_SECONDS

    @property
    def hint(self) -> str:
        return _hint(self.key_id)

    def to_api(self) -> dict[str, Any]:
        """The `ApiKey` shape of the control plane."""
        shown: dict[str, Any] = {"id": self.key_id}
        if self.description is not None:
            shown["description"] = self.description
        return {**shown, "expires": self.expires, "deletes": self.deletes}


def down_to_hour(epoch: float) -> int:
    return int(epoch) // HOUR * HOUR


def checked_expiry(expires: int, now: float) -> int:
    """An expiry a CreateApiKey/UpdateApiKey at `now` accepts, as AppSync keeps it (down to the hour).

    UNCONFIRMED: whether AppSync checks the bounds before or after rounding; the requested value is checked
    here, so any value 1 to 365 days ahead is accepted, as the API documents."""
    if expires < now + MIN_LIFETIME_SECONDS:
        # UNCONFIRMED: AppSync's message wording.
        raise validity_out_of_bounds("API key must be valid for a minimum of 1 days.")
    if expires > now + MAX_LIFETIME_SECONDS:
        raise validity_out_of_bounds("API key must be valid for a maximum of 365 days.")
    return down_to_hour(expires)


class ApiKeyStore:
    """The keys of one API; with a `path`, each change is written there (atomically) before it is answered."""

    def __init__(self, api_id: str, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.api_id = api_id
        self._path = path
        self._clock = clock
        self._keys: dict[str, ApiKeyRecord] = {}
        if path is not None and path.is_file():
            document = json.loads(path.read_text(encoding="utf-8"))
            for item in document.get("keys", []):
                record = ApiKeyRecord(**item)
                self._keys[record.key_id] = record

    @classmethod
    def in_state_dir(cls, state_dir: Path, api_id: str) -> ApiKeyStore:
        return cls(api_id, Path(state_dir) / "appsync" / api_id / "api-keys.json")

    @classmethod
    def declared(cls, config: EventApiConfig, clock: Callable[[], float] = time.time) -> ApiKeyStore:
        """An in-memory store holding the keys `config` declares (a server without a state folder)."""
        store = cls(config.api_id, None, clock)
        for key in config.api_keys:
            store.declare(key)
        return store

    # ---- the template's keys

    def declare(self, key: ApiKey) -> ApiKeyRecord:
        """Create a declared key, or set its expiry again when the declaration changed since last applied."""
        now = self._clock()
        existing = self._keys.get(key.value)
        if existing is not None and existing.declared_expires == key.expires:
            if existing.description != key.description:
                existing = self._save(replace(existing, description=key.description))
            self._report(existing, now)
            return existing
        # A declared Expires is kept as given; AWS's default lifetime is kept as AWS keeps it, to the hour.
        expires = key.expires if key.expires is not None else down_to_hour(now + DEFAULT_LIFETIME_SECONDS)
        record = ApiKeyRecord(key.value, expires, key.description, key.expires, key.key_id)
        self._report(self._save(record), now)
        return record

    def _report(self, record: ApiKeyRecord, now: float) -> None:
        left = (record.expires - now) / DAY
        if record.expires <= now:
            logger.warning(
                "API key %s (%s) EXPIRED %.1f days ago: every request carrying it is refused (401) until it "
                "is extended (UpdateApiKey) or AppSync deletes it %.1f days from now",
                record.name or "key",
                record.hint,
                -left,
                (record.deletes - now) / DAY,
            )
        else:
            logger.info("API key %s (%s) expires in %.1f days", record.name or "key", record.hint, left)

    # ---- what requests carry

    def valid(self, value: str) -> ApiKeyRecord | None:
        """The key `value` names if it exists and has not expired; an expired key is logged and refused."""
        # Compared in constant time, as a secret should be; an API has a handful of keys. Bytes, not str:
        # compare_digest refuses non-ASCII text, and a header may carry any byte.
        offered = value.encode("utf-8", "surrogatepass")
        record = next(
            (r for r in self._keys.values() if hmac.compare_digest(r.key_id.encode(), offered)), None
        )
        if record is None or record.deletes <= self._clock():
            return None
        now = self._clock()
        if record.expires <= now:
            logger.warning(
                "API key %s (%s) expired %.1f days ago; request refused (extend it with UpdateApiKey)",
                record.name or "key",
                record.hint,
                (now - record.expires) / DAY,
            )
            return None
        return record

    # ---- control plane

    def list_keys(self) -> Sequence[ApiKeyRecord]:
        """Every key not deleted yet (expired ones included, as AppSync lists them until it deletes them)."""
        now = self._clock()
        return [record for record in self._keys.values() if record.deletes > now]

    def create(self, description: str | None, expires: int | None) -> ApiKeyRecord:
        now = self._clock()
        if len(self.list_keys()) >= MAX_KEYS_PER_API:
            # UNCONFIRMED: AppSync's wording.
            raise ApiKeyError("ApiKeyLimitExceededException", "The API key limit has been reached.", 400)
        lifetime = (
            checked_expiry(expires, now)
            if expires is not None
            else down_to_hour(now + DEFAULT_LIFETIME_SECONDS)
        )
        key_id = "da2-" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(26))
        return self._save(ApiKeyRecord(key_id, lifetime, description))

    def update(self, key_id: str, description: str | None, expires: int | None) -> ApiKeyRecord:
        record = self._existing(key_id)
        if expires is not None:
            record = replace(record, expires=checked_expiry(expires, self._clock()))
        if description is not None:
            record = replace(record, description=description)
        logger.info("API key %s (%s) now expires at %d", record.name or "key", record.hint, record.expires)
        return self._save(record)

    def delete(self, key_id: str) -> None:
        self._existing(key_id)
        del self._keys[key_id]
        self._write()

    def _existing(self, key_id: str) -> ApiKeyRecord:
        record = self._keys.get(key_id)
        if record is None or record.deletes <= self._clock():
            raise key_not_found(key_id)
        return record

    def _save(self, record: ApiKeyRecord) -> ApiKeyRecord:
        self._keys[record.key_id] = record
        self._write()
        return record

    def _write(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._path.with_name(f".{self._path.name}.tmp")
        with partial.open("w", encoding="utf-8") as handle:
            json.dump({"keys": [asdict(record) for record in self._keys.values()]}, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, 0o600)  # the file holds the keys themselves
        os.replace(partial, self._path)
