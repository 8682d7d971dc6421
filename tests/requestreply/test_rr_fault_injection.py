"""The worker's test-only fault injection: inert unless enabled, then driven by the configuration id."""

from __future__ import annotations

import pytest
from adapters.fault_injection import FaultInjection, InjectedFault


def injection(enabled: bool, slept: list[float]) -> FaultInjection:
    return FaultInjection(enabled, sleep=slept.append)


@pytest.mark.parametrize("configuration_id", ["FAULT-RAISE-x", "FAULT-DELAY-3000-x", "cfg-1"])
def test_disabled_injection_never_sleeps_or_raises(configuration_id: str) -> None:
    slept: list[float] = []
    injection(False, slept).apply(configuration_id)
    assert slept == []


def test_enabled_injection_sleeps_the_milliseconds_the_id_names_capped_at_20_s() -> None:
    slept: list[float] = []
    faults = injection(True, slept)
    for configuration_id in ("FAULT-DELAY-1500-a", "FAULT-DELAY-99999-b", "cfg-FAULT-DELAY-10-c", "cfg-2"):
        faults.apply(configuration_id)
    assert slept == [1.5, 20.0]


def test_enabled_injection_raises_for_a_raise_id_only() -> None:
    faults = injection(True, [])
    with pytest.raises(InjectedFault, match="FAULT-RAISE-now"):
        faults.apply("FAULT-RAISE-now")
    faults.apply("cfg-FAULT-RAISE-not-a-prefix")
