"""Channel paths and subscription ids: parsing, validation and the `/*` wildcard rule.

A channel is 1-5 segments of 1-50 `[A-Za-z0-9-]` characters (no leading or trailing `-`); the first segment
names the namespace. A subscription may end in `/*`, matching every channel below that prefix at any depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vcn.appsync.protocol import AppSyncError, bad_request

MAX_SEGMENTS = 5
_SEGMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?")
_SUBSCRIPTION_ID = re.compile(r"[A-Za-z0-9_+\-]{1,128}")


@dataclass(frozen=True, slots=True)
class Channel:
    path: str  # "/ns/a/b", without a trailing "/*"
    segments: tuple[str, ...]
    wildcard: bool = False

    @property
    def namespace(self) -> str:
        return self.segments[0]

    @property
    def display(self) -> str:
        return self.path + "/*" if self.wildcard else self.path

    def ancestors(self) -> tuple[str, ...]:
        """Paths strictly above this channel (`/ns`, `/ns/a` for `/ns/a/b`): where a matching `/*` may sit."""
        return tuple("/" + "/".join(self.segments[:n]) for n in range(1, len(self.segments)))


def parse_channel(raw: object, *, allow_wildcard: bool) -> Channel:
    """Validate a channel as a client sent it (leading slash optional, as Amplify omits it)."""
    if not isinstance(raw, str) or not raw:
        raise bad_request("channel is required: a path such as /namespace/segment")
    text = raw[1:] if raw.startswith("/") else raw
    parts = text.split("/")
    wildcard = parts[-1] == "*"
    if wildcard:
        if not allow_wildcard:
            raise bad_request(f"Cannot publish to the wildcard channel {raw}; publish to a concrete channel")
        parts = parts[:-1]
        if not parts:
            raise bad_request(f"Invalid channel {raw}: a wildcard needs a namespace before it, e.g. /ns/*")
    # The wildcard counts as one of the five segments.
    if len(parts) + int(wildcard) > MAX_SEGMENTS:
        raise bad_request(f"Invalid channel {raw}: at most {MAX_SEGMENTS} segments are allowed")
    for part in parts:
        if not _SEGMENT.fullmatch(part):
            raise bad_request(
                f"Invalid channel {raw}: each segment must be 1-50 characters of A-Z, a-z, 0-9 and '-',"
                " not starting or ending with '-'"
            )
    return Channel("/" + "/".join(parts), tuple(parts), wildcard)


def validate_subscription_id(raw: object) -> str:
    if not isinstance(raw, str) or not _SUBSCRIPTION_ID.fullmatch(raw):
        raise AppSyncError(
            "BadRequestException",
            "Invalid subscription id: use 1-128 characters of A-Z, a-z, 0-9, '-', '_' and '+'",
        )
    return raw
