"""What a timetable remembers across restarts, per schedule: its expression, its anchor (when it was created,
which rates count from) and the last tick it fired, so a restart neither moves a rate's ticks nor fires a tick
twice.

Kept in one JSON file in the state folder, written whole and atomically (temporary file, fsync, rename) before
each tick fires. Without a path (tests, a service run without a state folder) it remembers in memory only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from vcn.state_files import set_aside

log = logging.getLogger("vcn.timetable")

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Remembered:
    expression: str
    anchor: float
    last_tick: float | None = None


class TickMemory:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, Remembered] = self._load()

    def recall(self, key: str, expression: str, now: float) -> Remembered:
        """What is remembered of `key` under this expression; a new entry anchored at `now` otherwise (a
        schedule whose expression changed starts afresh)."""
        remembered = self._entries.get(key)
        if remembered is None or remembered.expression != expression:
            remembered = self._entries[key] = Remembered(expression, now)
            self._save()
        return remembered

    def fired(self, key: str, tick: float) -> None:
        remembered = self._entries.get(key)
        if remembered is not None:
            self._entries[key] = Remembered(remembered.expression, remembered.anchor, tick)
            self._save()

    def forget(self, key: str) -> None:
        if self._entries.pop(key, None) is not None:
            self._save()

    def keep_only(self, keys: Iterable[str]) -> None:
        """Forget every schedule but these (those that no longer exist)."""
        kept = set(keys)
        gone = [key for key in self._entries if key not in kept]
        for key in gone:
            del self._entries[key]
        if gone:
            self._save()

    def keys(self) -> list[str]:
        return list(self._entries)

    def _load(self) -> dict[str, Remembered]:
        if self.path is None:
            return {}
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            if document.get("version") != FORMAT_VERSION:
                raise ValueError(f"expected version {FORMAT_VERSION}")
            return {key: Remembered(**entry) for key, entry in document["schedules"].items()}
        except FileNotFoundError:
            return {}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            aside = set_aside(self.path)
            log.error(
                "%s could not be read (%s): moved to %s; schedules start afresh (rates count from now, and a "
                "tick fired just before this start may fire again)",
                self.path,
                exc,
                aside,
            )
            return {}

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.tmp")
        document = {
            "version": FORMAT_VERSION,
            "schedules": {key: asdict(entry) for key, entry in self._entries.items()},
        }
        with partial.open("w", encoding="utf-8") as file:
            json.dump(document, file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.path)
