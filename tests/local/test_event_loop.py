"""The servers' event loop choice (vcn.event_loop): uvloop when installed, asyncio on request."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from vcn import event_loop


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_uvloop_is_the_default_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(event_loop.ENV_VAR, raising=False)
    assert event_loop.loop_name() == "uvloop"
    assert event_loop.run(_loop_type()) is uvloop.Loop


def test_the_environment_can_ask_for_asyncios_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(event_loop.ENV_VAR, "asyncio")
    assert event_loop.loop_name() == "asyncio"
    assert not issubclass(event_loop.run(_loop_type()), uvloop.Loop)
