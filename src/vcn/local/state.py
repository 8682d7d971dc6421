"""`<state-dir>/local.json`: the local cloud's endpoints, in exactly the keys ARCHITECTURE.md fixes."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

LOCAL_FILE = "local.json"


def local_document(
    *,
    region: str,
    account: str,
    eventbridge: str,
    bus_name: str,
    appsync_http: str,
    appsync_realtime: str,
    api_key: str,
    appsync_https: str | None,
    appsync_wss: str | None,
    api: str,
) -> dict[str, Any]:
    appsync: dict[str, Any] = {"http": appsync_http, "realtime": appsync_realtime, "apiKey": api_key}
    # Without the TLS listener the secure URLs are null rather than missing: the key set stays fixed.
    appsync["https"] = appsync_https
    appsync["wss"] = appsync_wss
    return {
        "region": region,
        "account": account,
        "eventbridge": eventbridge,
        "eventBusName": bus_name,
        "appsync": appsync,
        "api": api,
        "console": f"{api}/",
        "jwks": f"{api}/.well-known/jwks.json",
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
