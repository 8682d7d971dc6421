"""The event loop the local cloud's servers run on: uvloop where it is installed, asyncio's otherwise.

uvloop does the loop's and the transports' work in C; on this project's delivery path it halves the CPU an
event costs (bench/README.md, "EventBridge delivery"). `VCN_EVENT_LOOP=asyncio` picks the standard loop,
e.g. to rule the loop out when chasing a bug."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger("vcn")

ENV_VAR = "VCN_EVENT_LOOP"


def loop_name() -> str:
    """`uvloop` or `asyncio`: what `run` will use."""
    if os.environ.get(ENV_VAR, "").lower() == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a server's main coroutine to completion on the chosen loop."""
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
