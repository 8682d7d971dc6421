"""The template loader: the only place in the local cloud that knows CloudFormation and SAM.

`load_stack(template.yaml, endpoints=..., parameter_overrides=...)` returns a `LocalStack` with everything
resolved for the local services: functions, EventBridge calls to replay, AppSync Events configs, HTTP APIs.
"""

from .errors import TemplateError
from .eventbridge_calls import EventBridgeCall, replay_eventbridge_calls
from .model import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    LOCAL_STACK_NAME,
    FunctionSpec,
    HttpApiSpec,
    HttpRoute,
    JwtAuthorizer,
    LocalEndpoints,
    LocalStack,
    UnsupportedResource,
)
from .parameters import parse_parameter_overrides
from .stack import load_stack

__all__ = [
    "LOCAL_ACCOUNT",
    "LOCAL_REGION",
    "LOCAL_STACK_NAME",
    "EventBridgeCall",
    "FunctionSpec",
    "HttpApiSpec",
    "HttpRoute",
    "JwtAuthorizer",
    "LocalEndpoints",
    "LocalStack",
    "TemplateError",
    "UnsupportedResource",
    "load_stack",
    "parse_parameter_overrides",
    "replay_eventbridge_calls",
]
