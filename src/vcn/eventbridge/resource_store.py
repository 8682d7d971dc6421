"""The file that keeps the control plane's resources across restarts : `<state>/eventbridge-resources.json`.

Written whole and atomically after every change (a temporary file, fsync, rename), so a crash leaves the
previous or the new version, never half of one. Readable only by its owner: connections hold credentials, as
AWS keeps them in Secrets Manager. A file that cannot be read is moved aside, not overwritten.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from vcn.state_files import set_aside

log = logging.getLogger("vcn.eventbridge")

RESOURCES_FILE = "eventbridge-resources.json"
FORMAT_VERSION = 1


class ResourceStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / RESOURCES_FILE

    def load(self) -> dict[str, Any]:
        """The saved document, or an empty one when there is none (or it was unreadable and moved aside)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
                raise ValueError(f"expected a JSON object with version {FORMAT_VERSION}")
        except ValueError as exc:
            aside = set_aside(self.path)
            log.error(
                "%s could not be read (%s): moved to %s and starting without the resources created "
                "through the API before; the file is kept for you to inspect",
                self.path,
                exc,
                aside,
            )
            return {}
        return document

    def save(self, document: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump({"version": FORMAT_VERSION, **document}, file, indent=1, ensure_ascii=False)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.path)
