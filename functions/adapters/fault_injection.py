"""Test-only faults for the validation worker, so tests can make a real worker slow or failing.

Off unless the worker's VALIDATION_FAULT_INJECTION is `enabled`. template.yaml never sets it: a local test
cloud does, with `vcn local up --env-vars FILE`. When on, the configuration id chooses the fault:
  `FAULT-DELAY-<ms>-...`  the worker sleeps <ms> milliseconds (at most 20000) before validating;
  `FAULT-RAISE-...`       the worker raises `InjectedFault` (the invocation fails like any crash).
Any other id is validated normally.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_DELAY_MS = 20_000
_DELAY = re.compile(r"FAULT-DELAY-(?P<ms>[0-9]{1,5})-")
_RAISE = "FAULT-RAISE-"


class InjectedFault(RuntimeError):
    """The failure a test asked for with a `FAULT-RAISE-` configuration id."""


@dataclass(frozen=True)
class FaultInjection:
    enabled: bool
    sleep: Callable[[float], None] = time.sleep

    def apply(self, configuration_id: str) -> None:
        """Sleep or raise as the configuration id asks, when enabled; otherwise do nothing."""
        if not self.enabled:
            return
        if configuration_id.startswith(_RAISE):
            raise InjectedFault(f"fault injected for configuration {configuration_id}")
        delay = _DELAY.match(configuration_id)
        if delay:
            self.sleep(min(int(delay["ms"]), MAX_DELAY_MS) / 1000)
