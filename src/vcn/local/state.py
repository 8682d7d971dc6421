"""The state folder's shared files: `local.json` (the endpoints, keys fixed by docs/ARCHITECTURE.md), who owns
the folder (one running cloud, through `state_lock`), and the local API key.

`local.json` is trusted only while the cloud that wrote it holds the folder's lock: a cloud killed with
`kill -9` leaves its `local.json` behind, which `live_local_json` reports as stale and the next cloud
replaces.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vcn.local.state_lock import (
    LOCK_FILE,
    LockOwner,
    StateDirBusy,
    StateLock,
    acquire_state_lock,
    lock_holder,
    recorded_owner,
)

log = logging.getLogger("vcn.local")

LOCAL_FILE = "local.json"


class StateDirInUse(Exception):
    """Another local cloud runs on this state folder; the message names it and says what to do."""


class NoLocalCloud(Exception):
    """No local cloud runs on this state folder; `stale`: a killed cloud's local.json is still there."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale


def local_document(
    *,
    region: str,
    account: str,
    eventbridge: str,
    bus_name: str,
    appsync: Mapping[str, Any] | None,
    api: str,
    dynamodb: str | None = None,
    queues: Iterable[str] = (),
    profile: str | None = None,
) -> dict[str, Any]:
    """The document; `appsync` holds http, realtime, apiKey, https, wss (None: the template has no API);
    `dynamodb` is the local DynamoDB's endpoint (None: the template has no table); `queues` the names of the
    template's SQS queues (the local queues that targets and dead letters go to); `profile` the name of the
    app profile the cloud runs (None: none), whose demo users the CLI must know to mint their tokens."""
    return {
        "region": region,
        "account": account,
        "eventbridge": eventbridge,
        "eventBusName": bus_name,
        "appsync": dict(appsync) if appsync is not None else None,
        "api": api,
        "console": f"{api}/",
        "jwks": f"{api}/.well-known/jwks.json",
        "dynamodb": dynamodb,
        "queues": sorted(queues),
        "profile": profile,
    }


def write_local_json(state_dir: Path, document: dict[str, Any]) -> Path:
    """Write atomically, so a reader never sees half a file."""
    path = state_dir / LOCAL_FILE
    partial = state_dir / f".{LOCAL_FILE}.tmp"
    partial.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(partial, path)
    return path


def remove_local_json(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (state_dir / LOCAL_FILE).unlink()


API_KEY_FILE = "appsync-api-key"


def load_or_create_api_key(state_dir: Path) -> str:
    """The local AppSync API key: random, made once per state folder (0600), so no key lives in the repo."""
    path = state_dir / API_KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        existing = path.read_text().strip()
        if existing:
            return existing
    key = "da2-" + secrets.token_hex(13)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def read_local_document(state_dir: Path) -> dict[str, Any] | None:
    """`local.json` as it is, or None when it is missing or unreadable (no liveness check)."""
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        document = json.loads((state_dir / LOCAL_FILE).read_text())
        return document if isinstance(document, dict) else None
    return None


class DamagedLocalJson(Exception):
    """`local.json` of a running cloud is not what a cloud writes; the message says to restart it."""


RESTART = "stop the local cloud and start it again"

# What each key of local.json holds (JSON types; None is null), for readers that need it.
LOCAL_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "region": (str,),
    "account": (str,),
    "eventbridge": (str,),
    "eventBusName": (str,),
    "appsync": (dict, type(None)),
    "api": (str,),
    "dynamodb": (str, type(None)),
    "queues": (list,),
    "profile": (str, type(None)),
}
_JSON_NAMES: dict[type, str] = {str: "a string", dict: "an object", list: "a list", type(None): "null"}


def _json_name(value: Any) -> str:
    return next((name for kind, name in _JSON_NAMES.items() if isinstance(value, kind)), "a number or bool")


def local_json_problem(document: Mapping[str, Any], needs: Iterable[str]) -> str | None:
    """What keeps a reader from `document`: a key of `needs` it lacks, or any known key of the wrong type."""
    for key in needs:
        if key not in document:
            return f"it has no {key!r}"
    for key, kinds in LOCAL_JSON_TYPES.items():
        if key in document and not isinstance(document[key], kinds):
            wanted = " or ".join(_JSON_NAMES[kind] for kind in kinds)
            return f"its {key!r} is {_json_name(document[key])}, not {wanted}"
    return None


def load_local_json(state_dir: Path, needs: Iterable[str] = ()) -> dict[str, Any]:
    """The running cloud's `local.json`, holding every key of `needs`: NoLocalCloud when no cloud runs,
    DamagedLocalJson when the file is not a document a cloud writes (its cloud should be restarted)."""
    path = live_local_json(state_dir)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:  # the cloud stopped between the check and the read
        raise NoLocalCloud(
            f"no local cloud is running for state dir {state_dir} (it just stopped); "
            "start one with `vcn local up`"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedLocalJson(f"{path} is not valid JSON ({exc}); {RESTART}") from None
    if not isinstance(document, dict):
        raise DamagedLocalJson(f"{path} is not a JSON object; {RESTART}")
    problem = local_json_problem(document, needs)
    if problem is not None:
        raise DamagedLocalJson(f"{path} is not what a local cloud writes ({problem}); {RESTART}")
    return document


def live_local_json(state_dir: Path) -> Path:
    """The path of `local.json` when the cloud that wrote it still runs; raise `NoLocalCloud` otherwise."""
    path = state_dir / LOCAL_FILE
    if not path.exists():
        raise NoLocalCloud(
            f"no local cloud is running for state dir {state_dir} ({path} does not exist); "
            "start one with `vcn local up` or pass --state-dir / --stack"
        )
    if lock_holder(state_dir) is None:
        owner = recorded_owner(state_dir)
        source = (
            f" from pid {owner.pid}, which is gone" if owner else f": nothing holds {state_dir / LOCK_FILE}"
        )
        raise NoLocalCloud(
            f"no local cloud is running for state dir {state_dir} (stale local.json{source}); "
            "start one with `vcn local up`, which replaces it",
            stale=True,
        )
    return path


def in_use_message(state_dir: Path, owner: LockOwner | None) -> str:
    """Which cloud holds `state_dir`, where it listens, and how to stop it or run a second one."""
    who = owner.describe() if owner and owner.pid else "pid not recorded yet"
    if owner is not None and owner.stopping is not None:
        return (
            f"the local cloud on state dir {state_dir} ({who}) is stopping since {owner.stopping}: it is "
            "finishing what is still pending; wait for it to end, then start again"
        )
    document = read_local_document(state_dir)
    if document is None:
        where = "it is still starting (no local.json yet)"
    else:
        appsync = document.get("appsync")
        parts = [f"API {document.get('api')}", f"EventBridge {document.get('eventbridge')}"]
        if isinstance(appsync, dict) and appsync:
            parts.append(f"AppSync {appsync.get('http')}")
        where = "listening on " + ", ".join(parts)
    stop = f"kill {owner.pid}" if owner and owner.pid else "stop it"
    return (
        f"a local cloud is already running on state dir {state_dir} ({who}), {where}; "
        f"use it, stop it first (Ctrl-C in its terminal, or `{stop}`), "
        "or start another with its own --state-dir and --port-base"
    )


def ensure_state_dir_free(state_dir: Path) -> None:
    """Raise `StateDirInUse` when a live cloud holds `state_dir` (a check before binding any port)."""
    holder = lock_holder(state_dir)
    if holder is not None:
        raise StateDirInUse(in_use_message(state_dir, holder))


def claim_state_dir(state_dir: Path) -> StateLock:
    """Lock `state_dir` for this cloud; a local.json left by a cloud that died there is removed unread.

    Raises `StateDirInUse` naming the running cloud when another one holds it.
    """
    try:
        lock = acquire_state_lock(state_dir, owned_files=(LOCAL_FILE,))
    except StateDirBusy as busy:
        raise StateDirInUse(in_use_message(state_dir, busy.owner)) from None
    previous = lock.previous.describe() if lock.previous else "pid not recorded"
    if lock.dropped:
        log.warning(
            "removed the stale %s left by a local cloud that is gone (%s)", state_dir / LOCAL_FILE, previous
        )
    elif lock.previous:
        log.warning("the previous local cloud on %s (%s) did not stop cleanly", state_dir, previous)
    return lock
