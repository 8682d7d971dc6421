"""Demo users of the development identity provider: who can sign in locally, and the claims they get.

The identity provider itself knows no application: an app profile lists its demo users, each with the extra
claims (grants, roles, ...) its tokens carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DemoUser:
    """A user the local sign-in offers: `id` becomes the token's `sub`, `claims` are added to its tokens."""

    id: str
    name: str
    claims: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """What `GET /dev/users` shows for the user: id, name and the claims its tokens carry."""
        return {"id": self.id, "name": self.name, **self.claims}


def find_user(users: Iterable[DemoUser], user_id: str) -> DemoUser | None:
    return next((user for user in users if user.id == user_id), None)
