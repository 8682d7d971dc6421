"""`<state-dir>/local.json`: the local cloud's endpoints, in exactly the keys ARCHITECTURE.md fixes."""

from __future__ import annotations

import contextlib
import json
import os
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
