"""Who may submit which configurations: only for markets the caller's grants cover.

A validation's notifications go to `/markets/<market>/...`, so submitting for a market is held to the same
rule as reading it (`Grants.grants_market`, the subscribe guard's rule): otherwise an analyst granted FR
could make notifications appear on the US channels.
"""

from __future__ import annotations

from collections.abc import Sequence

from vehicle_config.channels import Grants
from vehicle_config.model import Configuration


class MarketsNotGranted(Exception):
    """Some configurations are for markets the caller is not granted; names them, and what is granted."""

    def __init__(self, grants: Grants, markets: Sequence[str], items: Sequence[int], size: int) -> None:
        self.user_id = grants.user_id
        self.markets = tuple(markets)
        self.items = tuple(items)  # indexes of the refused configurations in the submission
        self.size = size
        self.granted = tuple(sorted(grants.markets))
        super().__init__(self._message())

    def _message(self) -> str:
        named = ", ".join(self.markets)
        refused = f"market{'s' if len(self.markets) > 1 else ''} {named}"
        if self.size > 1:
            items = ", ".join(map(str, self.items))
            refused += f" (configuration{'s' if len(self.items) > 1 else ''} {items} of {self.size})"
        granted = f"{', '.join(self.granted)} only" if self.granted else "no market"
        return (
            f"Not granted {refused}: the token of {self.user_id} grants {granted}. "
            f"Submit configurations only for your markets, or ask for access to {named}"
        )


def check_markets_granted(grants: Grants, configurations: Sequence[Configuration]) -> None:
    """Raise `MarketsNotGranted` unless `grants` cover the market of every configuration."""
    refused = [
        (index, configuration.market)
        for index, configuration in enumerate(configurations)
        if not grants.grants_market(configuration.market)
    ]
    if refused:
        markets = sorted({market for _, market in refused})
        raise MarketsNotGranted(grants, markets, [index for index, _ in refused], len(configurations))
