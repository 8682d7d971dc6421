"""The local Lambda runtime: warm worker processes per function behind the `LambdaInvoker` port.

`LambdaRuntime(functions, extra_env=...)` is what the EventBridge, AppSync and HTTP API emulators invoke;
`invoke_local(function, event_path)` is `vcn local invoke`. Functions are described by `FunctionSpec`s.
"""

from .config import AsyncInvokeConfig, FunctionSpec
from .local_invoke import InvalidEvent, InvokeOutcome, invoke_local, invoke_once, read_event
from .runtime import AsyncInvocationFailure, InvocationCounts, LambdaRuntime

__all__ = [
    "AsyncInvocationFailure",
    "AsyncInvokeConfig",
    "FunctionSpec",
    "InvalidEvent",
    "InvocationCounts",
    "InvokeOutcome",
    "LambdaRuntime",
    "invoke_local",
    "invoke_once",
    "read_event",
]
