"""The AWS account and region the local cloud stands in for: written here once, passed down to every service.

The wiring (`vcn local up`, the template loader, `python -m vcn.eventbridge`) hands `LOCAL_ACCOUNT` to the
services; they take account and region as constructor or config values and never assume one of their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalAccount:
    """An account id and a region: what the local services put in ARNs, events and request contexts."""

    account_id: str
    region: str


# All zeros: plainly not a real account, so a local ARN is recognisable wherever it ends up.
LOCAL_ACCOUNT = LocalAccount(account_id="000000000000", region="us-east-1")
