"""The local Lambda's queue of accepted asynchronous invocations, read as the next start reads it."""

from __future__ import annotations

from pathlib import Path

from vcn.lambda_runtime.async_queue import AsyncInvocationQueue, QueuedInvocation, async_queue_path


def queued(state_dir: Path) -> list[QueuedInvocation]:
    """What the queue file of `state_dir` holds, read by a connection of its own."""
    queue = AsyncInvocationQueue(async_queue_path(state_dir))
    try:
        return queue.pending()
    finally:
        queue.close()
