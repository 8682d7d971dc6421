"""`<state-dir>/local.json` (the endpoints, keys fixed by docs/ARCHITECTURE.md) and the local API key."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LOCAL_FILE = "local.json"


def local_document(
    *,
    region: str,
    account: str,
    eventbridge: str,
    bus_name: str,
    appsync: Mapping[str, Any] | None,
    api: str,
    dynamodb: str | None = None,
) -> dict[str, Any]:
    """The document; `appsync` holds http, realtime, apiKey, https, wss (None: the template has no API);
    `dynamodb` is the local DynamoDB's endpoint (None: the template has no table)."""
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
