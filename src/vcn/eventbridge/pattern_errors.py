"""The error an invalid event pattern raises, worded exactly as AWS words it."""

from __future__ import annotations

MESSAGE_PREFIX = "Event pattern is not valid. Reason: "


class InvalidEventPattern(ValueError):
    """A pattern AWS would reject; `reason` is the bare reason, str() the full AWS message."""

    def __init__(self, reason: str) -> None:
        super().__init__(MESSAGE_PREFIX + reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return MESSAGE_PREFIX + self.reason


class EventPatternTooLong(InvalidEventPattern):
    """The pattern text is longer than the configured limit (AWS answers with a ValidationException)."""
