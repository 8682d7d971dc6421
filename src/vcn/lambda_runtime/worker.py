"""One warm Lambda worker process: start it, send it invocations, enforce the timeout, forward its logs.

A worker serves one invocation at a time. It is killed on timeout and reported dead when it exits; the pool
replaces dead workers on the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import struct
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vcn.invoker import FunctionError

from .config import FunctionSpec

_HEADER = struct.Struct(">I")
BOOTSTRAP = str(Path(__file__).with_name("bootstrap.py"))
logger = logging.getLogger("vcn.lambda")
# Sees each line a worker prints, with the function's name (after it is logged).
OutputHook = Callable[[str, str], object]


def _exit_description(returncode: int | None) -> str:
    if returncode is None:
        return "unknown exit status"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        readable = {"SIGSEGV": "segmentation fault", "SIGKILL": "killed", "SIGABRT": "aborted"}
        return f"signal: {readable.get(name, name)}"
    return f"exit status {returncode}"


class Worker:
    """A `python -u bootstrap.py` process for one function."""

    def __init__(
        self, spec: FunctionSpec, env: Mapping[str, str], python: str, *, on_output: OutputHook | None = None
    ) -> None:
        self.spec = spec
        self._env = dict(env)
        self._python = python
        self._on_output = on_output
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._log_pumps: list[asyncio.Task[None]] = []
        self.dead = False

    @property
    def alive(self) -> bool:
        return not self.dead and self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self, init_timeout: float) -> None:
        """Spawn the process and wait until the handler is imported; an init failure raises FunctionError."""
        parent_sock, child_sock = socket.socketpair()
        try:
            self._process = await asyncio.create_subprocess_exec(
                self._python,
                "-u",
                BOOTSTRAP,
                cwd=str(self.spec.code_dir),
                env={**self._env, "VCN_LAMBDA_FD": str(child_sock.fileno())},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(child_sock.fileno(),),
            )
        except OSError as exc:
            parent_sock.close()
            self.dead = True
            raise FunctionError("Runtime.InvalidEntrypoint", f"cannot start {self._python}: {exc}") from exc
        finally:
            child_sock.close()
        assert self._process.stdout is not None and self._process.stderr is not None
        self._log_pumps = [
            asyncio.create_task(self._pump(self._process.stdout)),
            asyncio.create_task(self._pump(self._process.stderr)),
        ]
        self._reader, self._writer = await asyncio.open_connection(sock=parent_sock)
        try:
            message = await asyncio.wait_for(self._receive(), init_timeout)
        except TimeoutError:
            await self.kill()
            raise FunctionError(
                "Runtime.InitTimeout", f"the handler was not imported within {init_timeout:.2f} seconds"
            ) from None
        if message is None:
            await self._reap()
            code = self._process.returncode
            raise FunctionError("Runtime.ExitError", f"Runtime exited with error: {_exit_description(code)}")
        if message.get("type") == "init_error":
            await self._reap()
            raise FunctionError(str(message["errorType"]), str(message["errorMessage"]))

    async def invoke(self, payload: Any, invoked_arn: str) -> Any:
        """Run one invocation; returns the result or raises FunctionError (timeout, crash, handler error)."""
        assert self._writer is not None
        request_id = str(uuid.uuid4())
        timeout = float(self.spec.timeout)
        started = time.monotonic()
        request = {
            "requestId": request_id,
            "payload": payload,
            "deadlineMs": int(time.time() * 1000 + timeout * 1000),
            "invokedFunctionArn": invoked_arn,
        }
        logger.debug("[%s] START RequestId: %s Version: $LATEST", self.spec.name, request_id)
        data = json.dumps(request).encode()
        try:
            self._writer.write(_HEADER.pack(len(data)) + data)
            await self._writer.drain()
            reply = await asyncio.wait_for(self._receive(), timeout)
        except TimeoutError:
            await self.kill()
            message = f"Task timed out after {timeout:.2f} seconds"
            logger.info("[%s] %s %s", self.spec.name, request_id, message)
            raise FunctionError("Sandbox.Timedout", message) from None
        except (ConnectionError, OSError):
            reply = None
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            logger.debug(
                "[%s] REPORT RequestId: %s Duration: %.2f ms", self.spec.name, request_id, elapsed_ms
            )
        if reply is None:
            await self._reap()
            description = _exit_description(self._process.returncode if self._process else None)
            message = f"RequestId: {request_id} Error: Runtime exited with error: {description}"
            logger.info("[%s] %s", self.spec.name, message)
            raise FunctionError("Runtime.ExitError", message)
        if reply.get("type") == "error":
            raise FunctionError(str(reply["errorType"]), str(reply["errorMessage"]))
        return reply.get("result")

    async def _receive(self) -> dict[str, Any] | None:
        assert self._reader is not None
        try:
            header = await self._reader.readexactly(_HEADER.size)
            (length,) = _HEADER.unpack(header)
            body = await self._reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        message: dict[str, Any] = json.loads(body)
        return message

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        """Forward the worker's output to `vcn.lambda`, a record per line, prefixed by the function."""
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # a line beyond the stream limit: take what is there
                line = await stream.read(65536)
            if not line:
                return
            text = line.decode(errors="replace").rstrip("\r\n")
            logger.info("[%s] %s", self.spec.name, text)
            if self._on_output is not None:
                try:
                    self._on_output(self.spec.name, text)
                except Exception:  # whoever listens must not stop the function's log
                    logger.exception("[%s] output hook failed", self.spec.name)

    async def _reap(self) -> None:
        """The process has exited (or is exiting): collect it and its last log lines."""
        self.dead = True
        if self._writer is not None:
            self._writer.close()
        if self._process is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._process.wait(), 5)
            if self._process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self._process.kill()
                await self._process.wait()
        if self._log_pumps:
            # a grandchild holding the pipes open must not block us: forward what arrives within a second
            _, pending = await asyncio.wait(self._log_pumps, timeout=1.0)
            for pump in pending:
                pump.cancel()

    async def kill(self) -> None:
        """Stop the worker at once (timeout, shutdown without grace)."""
        self.dead = True
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        await self._reap()

    async def stop(self, grace_seconds: float = 1.0) -> None:
        """Close the socket (the worker exits on EOF); kill it if it does not within the grace period."""
        self.dead = True
        if self._writer is not None:
            self._writer.close()
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._process.wait(), grace_seconds)
        await self.kill()
