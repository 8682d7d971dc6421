"""The template loader: the only place in the local cloud that knows CloudFormation and SAM.

`load_stack(template.yaml, endpoints=..., parameter_overrides=...)` returns a `LocalStack` with everything
resolved for the local services, in each service's own config types: `FunctionSpec`s (vcn.lambda_runtime,
with their EventInvokeConfig), EventBridge calls to replay, `EventApiConfig`s (vcn.appsync),
`HttpApiConfig`s (vcn.httpapi), `TableConfig`s (vcn.dynamodb) and `AlarmConfig`s (vcn.cloudwatch).
Services never import this package; it imports theirs.
"""

from .errors import TemplateError
from .eventbridge_calls import EventBridgeCall, replay_eventbridge_calls
from .model import LOCAL_STACK_NAME, LocalEndpoints, LocalStack, UnsupportedResource
from .parameters import parse_parameter_overrides
from .stack import declares_tables, load_stack

__all__ = [
    "LOCAL_STACK_NAME",
    "EventBridgeCall",
    "LocalEndpoints",
    "LocalStack",
    "TemplateError",
    "UnsupportedResource",
    "declares_tables",
    "load_stack",
    "parse_parameter_overrides",
    "replay_eventbridge_calls",
]
