"""The Lambda worker process: imports one handler once, then serves invocations from the local cloud.

Started as `python -u <this file>` with cwd = the function's code folder, which replaces this file's folder at
the head of sys.path (Lambda's task root comes first). Invocations arrive on the socket whose descriptor is in
VCN_LAMBDA_FD as length-prefixed JSON frames; stdout and stderr stay free for the handler's logs. Standard
library only and no `vcn` import, so the function's own imports are all the process loads, on any Python.
"""

import importlib
import json
import logging
import os
import signal
import socket
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct(">I")


class LambdaContext:
    """The `context` argument, with the fields and method of the AWS Python runtime's context object."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # the AWS runtime takes this from the environment, so it is a string there too
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: str) -> None:
        sys.stdout.write(message)


class _RequestIdFilter(logging.Filter):
    """Adds the current request id to log records, as the AWS runtime's log format shows it."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _send(sock: socket.socket, message: dict[str, Any] | str) -> None:
    data = (message if isinstance(message, str) else json.dumps(message)).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _receive(stream: Any) -> dict[str, Any] | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(header)
    body = stream.read(length)
    if len(body) < length:
        return None
    message: dict[str, Any] = json.loads(body)
    return message


def _error(error_type: str, message: str, trace: list[str] | None = None) -> dict[str, Any]:
    return {"type": "error", "errorType": error_type, "errorMessage": message, "stackTrace": trace or []}


def _exception_error(exc: BaseException) -> dict[str, Any]:
    trace = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
    return _error(type(exc).__name__, str(exc), trace)


def _load_handler(handler: str) -> Callable[..., Any] | dict[str, Any]:
    """The handler function, or the error the AWS Python runtime reports for it."""
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        return _error("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values to unpack")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        return _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
    except SyntaxError as exc:
        return _error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}")
    except Exception as exc:  # any init failure is the function's error
        return _exception_error(exc)
    function = getattr(module, function_name, None)
    if not callable(function):
        return _error(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return function


def _configure_logging(request_filter: _RequestIdFilter) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s"))
    handler.addFilter(request_filter)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())


def _invoke(handler: Callable[..., Any], request: dict[str, Any]) -> dict[str, Any] | str:
    """The reply frame: the result serialized here (a non-JSON result is the handler's error), or an error."""
    context = LambdaContext(request["requestId"], int(request["deadlineMs"]), request["invokedFunctionArn"])
    try:
        result = handler(request["payload"], context)
    except Exception as exc:  # a failing handler is a result, as in Lambda
        error = _exception_error(exc)
        print(f"[ERROR] {error['errorType']}: {error['errorMessage']}", file=sys.stderr)
        user_frames = exc.__traceback__.tb_next if exc.__traceback__ else None  # this module's frame left out
        traceback.print_exception(type(exc), exc, user_frames, file=sys.stderr)
        return error
    try:
        return json.dumps({"type": "result", "result": result})
    except (TypeError, ValueError) as exc:
        return _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")


def main() -> None:
    # Ctrl-C and a closed terminal signal the whole process group; the local cloud stops its workers itself,
    # last, after pending deliveries had their grace period (its socket closing ends this loop).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sys.path[0] = os.getcwd()  # the task root, not this file's folder, heads the import path
    sock = socket.socket(fileno=int(os.environ.pop("VCN_LAMBDA_FD")))
    stream = sock.makefile("rb")
    request_filter = _RequestIdFilter()
    _configure_logging(request_filter)

    handler = _load_handler(os.environ["_HANDLER"])
    if isinstance(handler, dict):
        _send(sock, {**handler, "type": "init_error"})
        sys.stderr.write(f"[ERROR] {handler['errorType']}: {handler['errorMessage']}\n")
        return
    _send(sock, {"type": "ready"})
    while True:
        request = _receive(stream)
        if request is None:
            return  # the local cloud closed the socket: shut down
        request_filter.request_id = request["requestId"]
        reply = _invoke(handler, request)
        sys.stdout.flush()
        sys.stderr.flush()
        _send(sock, reply)


if __name__ == "__main__":
    main()
