"""`vcn local invoke`: run one function once with an event file, like `sam local invoke`, without Docker."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vcn.invoker import FunctionError
from vcn.json_limits import not_utf8

from .config import FunctionSpec
from .runtime import LambdaRuntime


class InvalidEvent(ValueError):
    """The event file is missing or is not JSON."""


@dataclass(frozen=True)
class InvokeOutcome:
    """The function's result, or the error Lambda would report (`errorType`, `errorMessage`)."""

    function: str
    result: Any = None
    error: FunctionError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def response(self) -> Any:
        """What `sam local invoke` prints: the result, or `{"errorMessage", "errorType"}`."""
        if self.error is None:
            return self.result
        return {"errorMessage": self.error.error_message, "errorType": self.error.error_type}

    def to_json(self) -> str:
        return json.dumps(self.response)


def read_event(event: str | Path | None) -> Any:
    """The event: `{}` when none is given, stdin for `-`, else the JSON file."""
    if event is None:
        return {}
    source = "stdin" if str(event) == "-" else str(event)
    try:
        text = sys.stdin.read() if str(event) == "-" else Path(event).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidEvent(f"cannot read event file {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"cannot read event file {source}: not UTF-8 text ({not_utf8(exc)})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEvent(f"event {source} is not JSON: {exc}") from None


async def invoke_once(
    function: FunctionSpec,
    payload: Any,
    *,
    extra_env: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
    python: str = sys.executable,
) -> InvokeOutcome:
    """Start a worker for `function` (with `overrides` over the template's variables), invoke it, stop it."""
    runtime = LambdaRuntime(
        [function],
        extra_env=extra_env,
        environment_overrides={function.name: overrides or {}},
        python=python,
        max_workers_per_function=1,
    )
    try:
        result = await runtime.invoke(function.name, payload)
    except FunctionError as exc:
        return InvokeOutcome(function.name, error=exc)
    finally:
        await runtime.stop()
    return InvokeOutcome(function.name, result=result)


def invoke_local(
    function: FunctionSpec,
    event_path: str | Path | None,
    *,
    extra_env: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
    python: str = sys.executable,
) -> InvokeOutcome:
    """Synchronous entry for the CLI; raises InvalidEvent for a bad event file; logs go to `vcn.lambda`."""
    payload = read_event(event_path)
    return asyncio.run(
        invoke_once(function, payload, extra_env=extra_env, overrides=overrides, python=python)
    )
